// How connections end: the client half-closes, the client resets, the client idles, the server
// stops. Tornado closes a stream when recv returns 0, losing the echoes still owed; the echo
// protocol (book/00-preface.md) keeps them, and this is where that is checked.

package tests

import (
	"bytes"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"tornadotcp/internal/echoclient"
)

func halfClose(t testing.TB, tg target) Transcript {
	var lines bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&lines, "pending %d\n", i)
	}
	complete := bytes.Clone(lines.Bytes())
	lines.WriteString("a partial line, never ended")
	// Everything is sent and the write side shut before a single echo is read: every complete
	// line is still owed, and must arrive before the server's EOF. The partial one is dropped.
	a := dial(t, tg, "a")
	a.send(lines.Bytes())
	a.halfClose()
	if got := a.end(EndEOF); !bytes.Equal(got, complete) {
		t.Errorf("a: got %s before EOF, want %s", describe(got), describe(complete))
	}
	// Only a partial line: nothing is owed, and the server closes.
	b := dial(t, tg, "b")
	b.sendString("only a partial line")
	b.halfClose()
	if got := b.end(EndEOF); len(got) > 0 {
		t.Errorf("b: got %s before EOF, want nothing", describe(got))
	}
	return transcriptOf(a, b)
}

func clientReset(t testing.TB, tg target) Transcript {
	a := dial(t, tg, "a")
	a.sendString("r0\n")
	a.expectString("r0\n")
	// Mid-stream: lines whose echoes are never read, a partial line, then RST.
	a.sendString("r1\nr2\nhalf a li")
	a.reset()
	b := dial(t, tg, "b")
	b.sendString("after the reset\n")
	b.expectString("after the reset\n")
	b.halfClose()
	b.end(EndEOF)
	return transcriptOf(a, b)
}

// idleWait is how long a client idles to see that the server does not close first.
const idleWait = 100 * time.Millisecond

func idle(t testing.TB, tg target) Transcript {
	a := dial(t, tg, "a")
	a.quiet(idleWait)
	a.sendString("after idling\n")
	a.expectString("after idling\n")
	a.quiet(idleWait)
	a.leaveOpen()
	return transcriptOf(a)
}

// stopWithClient stops the server while a client is being served: the client's connection is
// closed, Serve returns nil, and the port no longer accepts.
func stopWithClient(t testing.TB, tg target) Transcript {
	a := dial(t, tg, "a")
	a.sendString("before stop\n")
	a.expectString("before stop\n")
	tg.srv.stop(t)
	a.end(EndClosed)
	late := &client{t: t, log: ConnLog{Name: "dial after stop"}}
	c, err := echoclient.Dial(tg.addr, tg.wait)
	switch {
	case err == nil:
		c.Close()
		late.fail("connected after Stop, want connection refused")
	case errors.Is(err, syscall.ECONNREFUSED):
		late.log.End = "refused"
	default:
		late.fail("dial after Stop: %v, want connection refused", err)
	}
	return transcriptOf(a, late)
}
