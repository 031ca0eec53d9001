// Rate-limited complaints: a flood of refused connections must not become a flood of log lines.

package nonblocking

import "time"

// burst folds a run of the same complaint into one log line with a count, and writes at most one
// line per interval. The loop adds events as they happen, calls report at the end of each pass
// and, when report says lines are held, sleeps no longer than it says.
type burst struct {
	interval time.Duration
	count    int       // events noted and not yet written
	last     string    // the latest of them, to stand for all
	next     time.Time // no line before this time
}

func (b *burst) add(what string) {
	b.count++
	b.last = what
}

// report writes the held events as one line if the interval since the last line has passed.
// It returns how long until held events may be written, or 0 when none are held.
func (b *burst) report(now time.Time, logf func(format string, args ...any)) time.Duration {
	if b.count == 0 {
		return 0
	}
	if now.Before(b.next) {
		return b.next.Sub(now)
	}
	b.flush(logf)
	b.next = now.Add(b.interval)
	return 0
}

// flush writes whatever is held, now.
func (b *burst) flush(logf func(format string, args ...any)) {
	switch b.count {
	case 0:
		return
	case 1:
		logf("%s", b.last)
	default:
		logf("%s (%d times since the last report)", b.last, b.count)
	}
	b.count = 0
}
