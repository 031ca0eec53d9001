// One client connection whose every answer is checked byte for byte, in order.

package soak

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"tornadotcp/internal/echoclient"
)

// ErrMismatch is an answer that differs from what the server had to send.
var ErrMismatch = errors.New("answer differs from what was owed")

// ErrNotEOF is a connection that did not end in an orderly EOF once the client was done: more
// bytes, or a reset.
var ErrNotEOF = errors.New("connection did not end with EOF")

// dialTimeout is how long a dial may take.
const dialTimeout = 5 * time.Second

// client is a verified connection: Exchange sends a batch and checks every byte that comes back.
type client struct {
	c     *echoclient.Conn
	proto Protocol
	rng   *rand.Rand
	send  []byte
	want  []byte
	got   []byte
	bytes int64 // bytes received and verified
}

func dial(addr string, proto Protocol, seed uint64, timeout time.Duration) (*client, error) {
	c, err := dialConn(addr, proto, timeout)
	if err != nil {
		return nil, err
	}
	return &client{c: c, proto: proto, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}, nil
}

// dialConn connects to addr in proto's transport: TCP, or TLS with the handshake done.
func dialConn(addr string, proto Protocol, timeout time.Duration) (*echoclient.Conn, error) {
	if proto.TLS {
		return echoclient.DialTLS(addr, &tls.Config{InsecureSkipVerify: true}, timeout)
	}
	return echoclient.Dial(addr, timeout)
}

// Exchange sends n random messages at once and reads their answers, within timeout.
func (cl *client) Exchange(n int, timeout time.Duration) error {
	cl.send, cl.want = cl.proto.Batch(cl.rng, n, cl.send[:0], cl.want[:0])
	return cl.roundTrip(cl.send, cl.want, timeout)
}

func (cl *client) roundTrip(send, want []byte, timeout time.Duration) error {
	if err := cl.c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if err := cl.c.Send(send); err != nil {
		return err
	}
	// The answer is compared as it arrives, so a byte lost or changed is reported at once instead
	// of as a read that waits for the bytes it can never get.
	if cap(cl.got) < len(want) {
		cl.got = make([]byte, len(want))
	}
	cl.got = cl.got[:len(want)]
	for n := 0; n < len(want); {
		k, err := cl.c.Read(cl.got[n:])
		if !bytes.Equal(cl.got[n:n+k], want[n:n+k]) {
			i := n + mismatchAt(cl.got[n:n+k], want[n:n+k])
			return fmt.Errorf("byte %d of %d: got %.40q, want %.40q: %w", i, len(want), cl.got[i:n+k], want[i:], ErrMismatch)
		}
		n += k
		if err != nil {
			return fmt.Errorf("after %d of %d bytes: %w", n, len(want), err)
		}
	}
	cl.bytes += int64(len(want))
	return nil
}

// mismatchAt is the index of the first byte where a and b (of equal length) differ.
func mismatchAt(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return len(a)
}

// End finishes the connection the clean way and checks that the server ends it with EOF, then
// closes it.
func (cl *client) End(timeout time.Duration) error {
	defer cl.c.Close()
	if cl.proto.Last != nil {
		if err := cl.roundTrip(cl.proto.Last, cl.proto.LastWant, timeout); err != nil {
			return err
		}
	} else if err := cl.c.CloseWrite(); err != nil {
		return err
	}
	if err := cl.c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	rest, err := cl.c.ReadToEOF()
	if len(rest) > 0 {
		return fmt.Errorf("%d bytes after the last answer, %.40q: %w", len(rest), rest, ErrMismatch)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotEOF, err)
	}
	return nil
}

// Close closes the connection without ceremony.
func (cl *client) Close() { cl.c.Close() }

// Reset closes with SO_LINGER 0: the kernel sends RST, and whatever was unread is dropped.
func (cl *client) Reset() { cl.c.Reset() }

// served dials addr and makes one verified exchange and a clean end: does it still serve? It
// returns the bytes verified.
func served(addr string, proto Protocol, timeout time.Duration) (int64, error) {
	cl, err := dial(addr, proto, uint64(time.Now().UnixNano()), timeout)
	if err != nil {
		return 0, err
	}
	if err := cl.Exchange(1, timeout); err != nil {
		cl.Close()
		return cl.bytes, err
	}
	return cl.bytes, cl.End(timeout)
}
