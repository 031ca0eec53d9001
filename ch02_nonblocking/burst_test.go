package nonblocking

import (
	"fmt"
	"testing"
	"time"
)

// A burst of complaints makes one line with a count, at most one line per interval, and the
// loop is told how long to wait before the held ones are due.
func TestBurstFoldsRepeatsIntoOneLine(t *testing.T) {
	var lines []string
	logf := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	b := burst{interval: time.Second}
	t0 := time.Unix(1000, 0)

	if wait := b.report(t0, logf); wait != 0 || len(lines) != 0 {
		t.Fatalf("nothing noted: wait %v, lines %q", wait, lines)
	}
	for i := range 3 {
		b.add(fmt.Sprintf("refused fd %d", 1024+i))
	}
	b.report(t0, logf)
	if len(lines) != 1 || lines[0] != "refused fd 1026 (3 times since the last report)" {
		t.Fatalf("first burst: %q", lines)
	}
	b.add("refused fd 1030")
	b.add("refused fd 1031")
	if wait := b.report(t0.Add(300*time.Millisecond), logf); wait != 700*time.Millisecond || len(lines) != 1 {
		t.Fatalf("within the interval: wait %v, lines %q; want 700ms and no new line", wait, lines)
	}
	if wait := b.report(t0.Add(time.Second), logf); wait != 0 || len(lines) != 2 {
		t.Fatalf("after the interval: wait %v, lines %q", wait, lines)
	}
	if lines[1] != "refused fd 1031 (2 times since the last report)" {
		t.Fatalf("second line %q", lines[1])
	}
	b.add("refused fd 1040")
	b.flush(logf)
	if len(lines) != 3 || lines[2] != "refused fd 1040" {
		t.Fatalf("flush: %q", lines)
	}
}
