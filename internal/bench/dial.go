// Opening many served connections at once, with bounded concurrency and timeouts.

package bench

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"tornadotcp/internal/echoclient"
)

// Dialers is how many connections are opened at a time: enough to keep a fast server's accept
// queue busy, few enough not to overflow its backlog of 128.
const Dialers = 100

// How long one connection may take to connect, and then to get its first line echoed.
const (
	dialTimeout  = 5 * time.Second
	serveTimeout = 10 * time.Second
)

// ErrMismatch is a line echoed differently from how it was sent.
var ErrMismatch = errors.New("echo differs from the line sent")

// LineSize is the length of every line the benchmarks send, '\n' included.
const LineSize = 64

// line fills buf (LineSize bytes) with a line naming conn and seq, so that a misrouted or
// reordered echo is caught by the comparison.
func line(buf []byte, conn int, seq int64) []byte {
	buf = fmt.Appendf(buf[:0], "conn %d seq %d ", conn, seq)
	for len(buf) < LineSize-1 {
		buf = append(buf, '.')
	}
	return append(buf[:LineSize-1], '\n')
}

// roundTrip is one exchange on a connection: send a line, read the same line back.
func roundTrip(c *echoclient.Conn, buf []byte, conn int, seq int64) error {
	out := line(buf, conn, seq)
	if err := c.Send(out); err != nil {
		return err
	}
	in, err := c.ReadLine()
	if err != nil {
		return err
	}
	if !bytes.Equal(in, out) {
		return fmt.Errorf("sent %q, got %q: %w", out, in, ErrMismatch)
	}
	return nil
}

// openServed opens n connections to addr, Dialers at a time; each sends one line and reads its
// echo before it counts. It stops opening new ones at the first failure (a dead or stuck server
// would otherwise cost a timeout per connection) and returns the ones that were served, with
// that failure. The caller closes the connections.
func openServed(addr string, n int) ([]*echoclient.Conn, error) {
	return openServedWith(addr, n, echoclient.Dial)
}

// dialFunc opens one echo connection: echoclient.Dial, or a TLS dial (tls.go).
type dialFunc func(addr string, timeout time.Duration) (*echoclient.Conn, error)

// openServedWith is openServed with each connection opened by dial.
func openServedWith(addr string, n int, dial dialFunc) ([]*echoclient.Conn, error) {
	var (
		next     atomic.Int64
		failed   atomic.Bool
		mu       sync.Mutex
		conns    = make([]*echoclient.Conn, 0, n)
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(Dialers, n) {
		wg.Go(func() {
			buf := make([]byte, 0, LineSize)
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				c, err := openOne(addr, dial, buf, i)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("connection %d of %d: %w", i+1, n, err)
					}
					failed.Store(true)
				} else {
					conns = append(conns, c)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return conns, firstErr
}

func openOne(addr string, dial dialFunc, buf []byte, i int) (*echoclient.Conn, error) {
	c, err := dial(addr, dialTimeout)
	if err != nil {
		return nil, err
	}
	err = c.SetDeadline(time.Now().Add(serveTimeout))
	if err == nil {
		err = roundTrip(c, buf, i, 0)
	}
	if err == nil {
		err = c.SetDeadline(time.Time{})
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func closeAll(conns []*echoclient.Conn) {
	for _, c := range conns {
		c.Close()
	}
}
