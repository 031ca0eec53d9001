package soak

import (
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// Chapter 5's servers under the kill fault: children are killed and the connections they held
// fail, counted as expected, with no wrong byte, no other failure, no leak, still serving. A
// single-process server is not given the fault.
func TestSoakKillChildren(t *testing.T) {
	needProc(t)
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	testutil.CheckLeaks(t)
	var targets []Target
	for _, id := range []string{"ch05/bind-start", "ch05/reuseport", "ch04/echo"} {
		target, err := CatalogTarget(chaptersBinary, id)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, target)
	}
	opt := Options{Duration: 6 * time.Second, Conns: 100, Settle: 5 * time.Second, Timeout: 10 * time.Second}
	rep := soakFaults(t, targets, opt, "kill")
	if len(rep.Rows) != 2 {
		t.Fatalf("%d rows, want 2: the kill fault is for the servers in several processes only", len(rep.Rows))
	}
	for _, r := range rep.Rows {
		if r.Failed() {
			t.Errorf("%s %s failed: %s", r.Server, r.Fault, brief(r))
		}
		if r.Bytes == 0 || !strings.Contains(r.Note, "kills") || strings.HasPrefix(r.Note, "0 kills") {
			t.Errorf("%s: %d bytes verified, note %q; want bytes and kills", r.Server, r.Bytes, r.Note)
		}
	}
}
