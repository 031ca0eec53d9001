// A log sink that a server writes from its goroutines while the test reads it.

package testutil

import (
	"bytes"
	"log"
	"log/slog"
	"sync"
	"testing"
)

// LogBuffer collects log lines. Writes and reads may come from different goroutines.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger is a text logger into b that keeps every level, debug included.
func (b *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// DefaultLog makes slog.Default() write into a new LogBuffer until the test ends, for the tests
// of a server given no logger (a nil logger means the default one). Such a test must not run in
// parallel with others that log.
func DefaultLog(t testing.TB) *LogBuffer {
	b := &LogBuffer{}
	// slog.SetDefault also sends the log package's output through the new handler, and setting
	// the old default back does not undo that: the log package is restored by hand.
	old, w, flags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(b.Logger())
	t.Cleanup(func() {
		log.SetOutput(w)
		log.SetFlags(flags)
		slog.SetDefault(old)
	})
	return b
}
