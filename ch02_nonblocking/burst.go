// Rate-limited complaints: a flood of refused connections must not become a flood of log lines.

package nonblocking

import (
	"log/slog"
	"time"
)

// burst folds a run of the same complaint into one log line with a count, and writes at most one
// line per interval. The loop adds events as they happen, calls report at the end of each pass
// and, when report says lines are held, sleeps no longer than it says.
type burst struct {
	msg      string // what happened: the message of the log line
	interval time.Duration
	count    int       // events noted and not yet written
	last     error     // the latest of them, to stand for all
	next     time.Time // no line before this time
}

func (b *burst) add(err error) {
	b.count++
	b.last = err
}

// report writes the held events as one line if the interval since the last line has passed.
// It returns how long until held events may be written, or 0 when none are held.
func (b *burst) report(now time.Time, log *slog.Logger) time.Duration {
	if b.count == 0 {
		return 0
	}
	if now.Before(b.next) {
		return b.next.Sub(now)
	}
	b.flush(log)
	b.next = now.Add(b.interval)
	return 0
}

// flush writes whatever is held, now: the latest error, and how many events it stands for
// (times) when more than one.
func (b *burst) flush(log *slog.Logger) {
	switch b.count {
	case 0:
		return
	case 1:
		log.Warn(b.msg, "err", b.last)
	default:
		log.Warn(b.msg, "err", b.last, "times", b.count)
	}
	b.count = 0
}
