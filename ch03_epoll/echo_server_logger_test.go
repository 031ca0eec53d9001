package ioloop_test

import (
	"strings"
	"testing"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// WithLogger(nil) means slog.Default(): the loop and the echo server report there instead of
// crashing when they first have something to say.
func TestEchoServerNilLoggerUsesDefault(t *testing.T) {
	testutil.CheckLeaks(t)
	logs := testutil.DefaultLog(t)
	s, err := ioloop.NewEchoServer("127.0.0.1:0", ioloop.WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	c := testutil.Dial(t, s.Addr())
	c.Send([]byte(strings.Repeat("x", blocking.MaxLineLength+1)))
	c.ReadToEOF()
	testutil.WaitFor(t, "the default logger to get the line", func() bool {
		return strings.Contains(logs.String(), blocking.ErrLineTooLong.Error())
	})
}
