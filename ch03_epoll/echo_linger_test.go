// The echo server's lingering close when the client's FIN comes before the linger has begun.

package ioloop_test

import (
	"bytes"
	"testing"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/testutil"
)

// A client sends 768 KiB of lines, a line too long and its FIN before it reads a byte. The
// server echoes into its own buffer (less than MaxPendingOutput, so it reads on), stops at the
// long line and waits for the client to read; by the time the last echo has gone and the server
// half-closes, the client's FIN is already there with the rest of the long line unread. The
// monitor reports a hang-up, and the server must drain that input rather than close with it
// unread, which would end the client's echoes with a reset instead of EOF.
func TestEchoServerLingerDrainsAfterHangUp(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, _ := serveNew(t, m)
		lines := testutil.Lines(768<<10/64, 64)
		c := testutil.Dial(t, s.Addr())
		sent := append(bytes.Clone(lines), bytes.Repeat([]byte("x"), blocking.MaxLineLength+32<<10)...)
		if err := c.Send(sent); err != nil {
			t.Fatal(err)
		}
		if err := c.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		got, err := c.ReadToEOF()
		if err != nil || !bytes.Equal(got, lines) {
			t.Fatalf("got %d bytes, %v; want the %d bytes of lines before the long one, then EOF",
				len(got), err, len(lines))
		}
	})
}
