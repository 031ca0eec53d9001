package tcpserver

import (
	"strings"
	"testing"

	"tornadotcp/internal/testutil"
)

// The logger options given nil mean slog.Default(): WithLogger(nil) for the server and
// WithStreamLogger(nil) for its streams, and WithAcceptLogger(nil) (accept_test.go). Here a
// panicking HandleStream and a panicking read callback are reported there instead of crashing.
func TestNilLoggersUseDefault(t *testing.T) {
	testutil.CheckLeaks(t)
	logs := testutil.DefaultLog(t)
	loop, _, _ := acceptTestLoop(t)
	connections := 0
	srv := New(HandlerFunc(func(s *IOStream, _ string) {
		connections++
		if connections == 1 {
			panic("in HandleStream")
		}
		s.ReadUntil([]byte("\n"), func([]byte) { panic("in a read callback") })
	}), WithIOLoop(loop), WithLogger(nil), WithStreamLogger(nil))
	if err := srv.Listen(0, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addrs()[0]
	acceptTestRun(t, loop)
	defer acceptTestOnLoop(t, loop, srv.Stop)

	first := testutil.Dial(t, addr)
	first.ReadToEOF() // the server closes the stream whose handler panicked
	second := testutil.Dial(t, addr)
	second.Send([]byte("line\n"))
	second.ReadToEOF() // and the stream whose callback panicked
	testutil.WaitFor(t, "the default logger to get both panics", func() bool {
		return strings.Contains(logs.String(), "in HandleStream") &&
			strings.Contains(logs.String(), "in a read callback")
	})
}
