package nonblocking

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// A burst of complaints makes one line with a count, at most one line per interval, and the
// loop is told how long to wait before the held ones are due.
func TestBurstFoldsRepeatsIntoOneLine(t *testing.T) {
	logs := &testutil.LogBuffer{}
	log := logs.Logger()
	lines := func() []string {
		var out []string
		for l := range strings.Lines(logs.String()) {
			_, rest, _ := strings.Cut(strings.TrimSpace(l), "level=")
			out = append(out, rest)
		}
		return out
	}
	b := burst{msg: "refused", interval: time.Second}
	t0 := time.Unix(1000, 0)

	if wait := b.report(t0, log); wait != 0 || len(lines()) != 0 {
		t.Fatalf("nothing noted: wait %v, lines %q", wait, lines())
	}
	for i := range 3 {
		b.add(fmt.Errorf("fd %d", 1024+i))
	}
	b.report(t0, log)
	if got := lines(); len(got) != 1 || got[0] != `WARN msg=refused err="fd 1026" times=3` {
		t.Fatalf("first burst: %q", got)
	}
	b.add(fmt.Errorf("fd %d", 1030))
	b.add(fmt.Errorf("fd %d", 1031))
	wait := b.report(t0.Add(300*time.Millisecond), log)
	if wait != 700*time.Millisecond || len(lines()) != 1 {
		t.Fatalf("within the interval: wait %v, lines %q; want 700ms and no new line", wait, lines())
	}
	if wait := b.report(t0.Add(time.Second), log); wait != 0 || len(lines()) != 2 {
		t.Fatalf("after the interval: wait %v, lines %q", wait, lines())
	}
	if got := lines()[1]; got != `WARN msg=refused err="fd 1031" times=2` {
		t.Fatalf("second line %q", got)
	}
	b.add(fmt.Errorf("fd %d", 1040))
	b.flush(log)
	if got := lines(); len(got) != 3 || got[2] != `WARN msg=refused err="fd 1040"` {
		t.Fatalf("flush: %q", got)
	}
}
