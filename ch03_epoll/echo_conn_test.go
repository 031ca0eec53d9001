// The interest of one echo connection after its client's EOF, seen from inside: a socketpair with
// a small send buffer makes "output still owed" certain, which TCP's self-tuning buffers do not.

package ioloop

import (
	"bytes"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	nonblocking "tornadotcp/ch02_nonblocking"
	"tornadotcp/internal/testutil"
)

// interestLog remembers the latest interest change asked of a monitor.
type interestLog struct {
	Poller
	last atomic.Uint32
}

func (p *interestLog) Modify(fd int, events uint32) error {
	p.last.Store(events)
	return p.Poller.Modify(fd, events)
}

// A client sends its lines and half-closes without reading: after the EOF, with echoes still
// owed, the server watches the connection for WRITE alone (a level-triggered monitor would report
// the socket at EOF as readable on every pass, and the loop would spin), sends everything, then
// closes. The server is level-triggered by design, one recv per event, so the edge-triggered
// backend is not among those it runs on.
func TestEchoConnWatchesWriteAloneAfterEOF(t *testing.T) {
	for _, b := range testBackends() {
		if b.edge {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			rec := &interestLog{Poller: newPoller(t, b)}
			logs := &testutil.LogBuffer{}
			s, err := NewEchoServer("127.0.0.1:0", WithPoller(rec), WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
			if err != nil {
				t.Fatalf("NewEchoServer: %v", err)
			}
			served := make(chan error, 1)
			go func() { served <- s.Serve() }()
			t.Cleanup(func() {
				if err := s.Stop(); err != nil {
					t.Errorf("Stop: %v", err)
				}
				if err := <-served; err != nil {
					t.Errorf("Serve: %v", err)
				}
			})

			fds := newFDSet(t)
			server, client := fds.socketpair()
			fds.forget(server) // the server closes it
			if err := unix.SetsockoptInt(server, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
				t.Fatalf("SO_SNDBUF: %v", err)
			}
			if err := unix.SetNonblock(client, false); err != nil {
				t.Fatal(err)
			}
			tv := unix.NsecToTimeval((10 * time.Second).Nanoseconds())
			if err := unix.SetsockoptTimeval(client, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
				t.Fatalf("SO_RCVTIMEO: %v", err)
			}
			if err := s.loop.AddCallback(func() { s.open(server) }); err != nil {
				t.Fatal(err)
			}

			// Half of MaxPendingOutput, so the server reads it all and sees the EOF, and several
			// times the server's send buffer, so most of it is still owed then.
			line := []byte("a line of echo, owed after the EOF\n")
			data := bytes.Repeat(line, nonblocking.MaxPendingOutput/2/len(line))
			wrote := make(chan error, 1)
			go func() {
				for rest := data; len(rest) > 0; {
					n, err := unix.Write(client, rest)
					if err != nil && !errors.Is(err, unix.EINTR) {
						wrote <- err
						return
					}
					rest = rest[max(n, 0):]
				}
				wrote <- unix.Shutdown(client, unix.SHUT_WR)
			}()
			eventually(t, "the server to watch WRITE alone", func() bool {
				return rec.last.Load()&(READ|WRITE) == WRITE
			})

			var got []byte
			buf := make([]byte, 64<<10)
			for {
				n, err := unix.Read(client, buf)
				if errors.Is(err, unix.EINTR) {
					continue
				}
				if err != nil {
					t.Fatalf("read after %d bytes: %v", len(got), err)
				}
				if n == 0 {
					break
				}
				got = append(got, buf[:n]...)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("got %d bytes back, want %d", len(got), len(data))
			}
			if err := <-wrote; err != nil {
				t.Errorf("write: %v", err)
			}
			if logs.String() != "" {
				t.Errorf("unexpected log: %s", logs)
			}
		})
	}
}
