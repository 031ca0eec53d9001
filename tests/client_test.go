// A client that writes its transcript as it goes, on internal/echoclient, the same client the
// benchmarks use. Every read and write has a deadline, so a server that stops answering fails a
// test in seconds instead of hanging it.

package tests

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"tornadotcp/internal/echoclient"
)

// ioTimeout bounds every wait for something the server owes: generous, because a failure is the
// only time it is reached.
const ioTimeout = 10 * time.Second

// pause is how long a client waits for nothing (a read that must time out): long enough that a
// piece written before it has reached the server on its own, short enough to keep the suite fast.
const pause = 20 * time.Millisecond

// client is one connection of a scenario. A client is used by one goroutine at a time. After its
// first failure (reported with t.Errorf, which is safe from any goroutine) it skips the rest of
// its steps, so one broken exchange reports one error, not a cascade of deadlines.
type client struct {
	t       testing.TB
	conn    *echoclient.Conn
	wait    time.Duration // the bound on each wait for the server
	log     ConnLog
	pending []byte // bytes read from the server and not yet consumed by a step
	buf     []byte // what fill reads into
	failed  bool
}

// dial connects a client named name to the server under test. The connection is closed when the
// test ends, whatever happened.
func dial(t testing.TB, tg target, name string) *client {
	c := &client{t: t, wait: tg.wait, log: ConnLog{Name: name}}
	conn, err := dialEcho(tg)
	if err != nil {
		c.fail("dial: %v", err)
		return c
	}
	c.conn = conn
	t.Cleanup(func() { conn.Close() })
	return c
}

// dialEcho connects to the server under test in the protocol it speaks: plaintext, or TLS for
// "tls-echo" servers. The TLS client does not verify the demo's self-signed certificate: this
// suite checks the echo protocol, and chapter 6's own tests check verification.
func dialEcho(tg target) (*echoclient.Conn, error) {
	if tg.entry.Protocol == "tls-echo" {
		return echoclient.DialTLS(tg.addr, &tls.Config{InsecureSkipVerify: true}, tg.wait)
	}
	return echoclient.Dial(tg.addr, tg.wait)
}

// transcriptOf collects the clients' logs in the order given.
func transcriptOf(cs ...*client) Transcript {
	tr := Transcript{Conns: make([]ConnLog, len(cs))}
	for i, c := range cs {
		tr.Conns[i] = c.log
	}
	return tr
}

func (c *client) fail(format string, args ...any) {
	c.t.Helper()
	c.failed = true
	c.t.Errorf("client %s: %s", c.log.Name, fmt.Sprintf(format, args...))
}

func (c *client) event(e string) { c.log.Events = append(c.log.Events, e) }

// send writes p as one write.
func (c *client) send(p []byte) {
	c.t.Helper()
	if c.failed {
		return
	}
	c.event("send " + describe(p))
	c.conn.SetDeadline(time.Now().Add(c.wait))
	if err := c.conn.Send(p); err != nil {
		c.fail("send %s: %v", describe(p), err)
	}
}

// sendString is send for literals.
func (c *client) sendString(s string) { c.t.Helper(); c.send([]byte(s)) }

// sendUntilClosed writes p, where the server is entitled to close the connection before it has
// read all of p: a reset or broken pipe on this write is not an error.
func (c *client) sendUntilClosed(p []byte) {
	c.t.Helper()
	if c.failed {
		return
	}
	c.event("send " + describe(p))
	c.conn.SetDeadline(time.Now().Add(c.wait))
	if err := c.conn.Send(p); err != nil && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		c.fail("send %s: %v", describe(p), err)
	}
}

// sendConcurrently writes chunks from another goroutine, so that the test can read the echoes
// while they are written: a server echoes as it reads, and with nobody reading, both sides'
// socket buffers fill and the exchange deadlocks. The returned function waits for the writer.
func (c *client) sendConcurrently(chunks [][]byte) (wait func()) {
	if c.failed {
		return func() {}
	}
	c.event(fmt.Sprintf("send %s in %d writes", describe(bytes.Join(chunks, nil)), len(chunks)))
	c.conn.SetDeadline(time.Now().Add(c.wait))
	done := make(chan error, 1)
	go func() {
		for _, p := range chunks {
			if err := c.conn.Send(p); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	return func() {
		c.t.Helper()
		if err := <-done; err != nil {
			c.fail("concurrent send: %v", err)
		}
	}
}

// fill reads once from the server into pending, waiting until deadline.
func (c *client) fill(deadline time.Time) error {
	if c.buf == nil {
		c.buf = make([]byte, 64<<10)
	}
	c.conn.SetDeadline(deadline)
	n, err := c.conn.Read(c.buf)
	c.pending = append(c.pending, c.buf[:n]...)
	return err
}

// expect reads len(want) bytes and checks they are want.
func (c *client) expect(want []byte) {
	c.t.Helper()
	if c.failed {
		return
	}
	deadline := time.Now().Add(c.wait)
	for len(c.pending) < len(want) {
		if err := c.fill(deadline); err != nil {
			c.event("recv " + describe(c.pending))
			c.fail("waiting for %s: got %s, then %v", describe(want), describe(c.pending), err)
			return
		}
	}
	got := c.pending[:len(want)]
	c.pending = c.pending[len(want):]
	c.event("recv " + describe(got))
	if !bytes.Equal(got, want) {
		c.fail("got %s, want %s (first difference at byte %d)", describe(got), describe(want), firstDiff(got, want))
	}
}

// expectString is expect for literals.
func (c *client) expectString(s string) { c.t.Helper(); c.expect([]byte(s)) }

// quiet waits for nothing: a read that must time out after d with no data, as when the server
// holds a partial line or an idle connection. The connection must stay open.
func (c *client) quiet(d time.Duration) {
	c.t.Helper()
	if c.failed {
		return
	}
	err := c.fill(time.Now().Add(d))
	switch {
	case len(c.pending) > 0:
		c.event("recv " + describe(c.pending))
		c.fail("server sent %s where nothing was due", describe(c.pending))
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.event("quiet")
	default:
		c.event("ended: " + endOf(err))
		c.fail("connection ended (%v) where the server must keep it open", err)
	}
}

// answeredWithin reports whether a complete line arrives within d. The line stays pending, for a
// later expect to consume; the event logged says whether it came.
func (c *client) answeredWithin(d time.Duration, yes, no string) bool {
	c.t.Helper()
	if c.failed {
		return false
	}
	deadline := time.Now().Add(d)
	for !bytes.Contains(c.pending, []byte{'\n'}) {
		err := c.fill(deadline)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.event(no)
			return false
		}
		if err != nil {
			c.fail("waiting for an answer: %v", err)
			return false
		}
	}
	c.event(yes)
	return true
}

// halfClose shuts down the client's write side: the server reads EOF but may still send.
func (c *client) halfClose() {
	c.t.Helper()
	if c.failed {
		return
	}
	c.event("half-close")
	if err := c.conn.CloseWrite(); err != nil {
		c.fail("half-close: %v", err)
	}
}

// reset closes the connection abruptly (RST instead of FIN).
func (c *client) reset() {
	c.t.Helper()
	if c.failed {
		return
	}
	c.log.End = EndClientReset
	if err := c.conn.Reset(); err != nil {
		c.fail("reset: %v", err)
	}
}

// leaveOpen closes a connection the server has kept open, as it must while the client is
// connected, and records it as open.
func (c *client) leaveOpen() {
	if c.failed {
		return
	}
	c.log.End = EndOpen
	c.conn.Close()
}

// end reads until the server closes the connection and checks how it closed; want is one of the
// End constants (EndClosed accepts EOF or reset). It returns what arrived first.
func (c *client) end(want string) []byte {
	c.t.Helper()
	if c.failed {
		return nil
	}
	deadline := time.Now().Add(c.wait)
	var err error
	for err == nil {
		err = c.fill(deadline)
	}
	data := c.pending
	c.pending = nil
	if len(data) > 0 {
		c.event("recv " + describe(data))
	}
	got := endOf(err)
	if want == EndClosed && (got == EndEOF || got == EndReset) {
		got = EndClosed
	}
	c.log.End = got
	if got != want {
		c.fail("connection ended %s (%v), want %s", got, err, want)
	}
	c.conn.Close()
	return data
}

// endOf names how a read ended.
func endOf(err error) string {
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return EndEOF
	case errors.Is(err, syscall.ECONNRESET):
		return EndReset
	case errors.Is(err, os.ErrDeadlineExceeded):
		return EndOpen
	}
	return "error"
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
