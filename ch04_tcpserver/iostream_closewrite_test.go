// Tests of IOStream.CloseWrite: the peer reads EOF after everything written, and the stream
// still reads what the peer sends.

package tcpserver

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"tornadotcp/internal/testutil"
)

func TestIOStreamCloseWrite(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer := rawStreamPeer(t, l, logs)
	var got []byte
	runScenario(t, l, func(done func()) {
		err := s.Write([]byte("answer\n"), func() {
			if err := s.CloseWrite(); err != nil {
				t.Errorf("CloseWrite after the last write: %v", err)
			}
			s.ReadUntilClose(func(data []byte) {
				got = append(got, data...)
				done()
			}, nil)
			go func() {
				// The peer reads the answer and then EOF, and can still send.
				if out, err := readToEOF(peer.fd); string(out) != "answer\n" || err != nil {
					t.Errorf("peer read %q, %v; want the answer, then EOF", out, err)
				}
				if err := writeFull(peer.fd, []byte("more")); err != nil {
					t.Errorf("peer write after the half-close: %v", err)
				}
				peer.CloseWrite()
			}()
		})
		if err != nil {
			t.Errorf("Write: %v", err)
		}
	})
	if string(got) != "more" {
		t.Errorf("the stream read %q after its half-close, want %q", got, "more")
	}
}

func TestIOStreamCloseWriteRefusals(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, _ := rawStreamPeer(t, l, logs)
	s.Close()
	if err := s.CloseWrite(); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("CloseWrite on a closed stream = %v, want ErrStreamClosed", err)
	}

	a, b := streamSocketpair(t)
	defer unix.Close(b)
	noHalf := NewIOStream(l, onlyTransport{mustTransport(t, a)})
	defer noHalf.Close()
	if err := noHalf.CloseWrite(); !errors.Is(err, ErrNoHalfClose) {
		t.Errorf("CloseWrite on a transport without it = %v, want ErrNoHalfClose", err)
	}
}

// onlyTransport hides every method of a transport beyond the four of the interface.
type onlyTransport struct{ Transport }

func mustTransport(t *testing.T, fd int) Transport {
	t.Helper()
	tr, err := NewSocketTransport(fd)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
