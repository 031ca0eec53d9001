// What the loop watches for a stream: nothing until the stream waits for something, then only
// changes when what it waits for changes. Tornado's _add_io_state and its lazy registration.

package tcpserver

import (
	"bytes"
	"testing"

	"tornadotcp/internal/testutil"
)

// An echo stream is registered at its first read and never modified while it echoes; a write
// the kernel cannot take at once adds WRITE; a stream that then waits for nothing is
// unregistered.
func TestIOStreamRegistersOnlyWhenNeeded(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs, p := newCountingLoop(t)
	s, peer := rawStreamPeer(t, l, logs)
	const pings = 100
	big := streamPattern(4 << 20)
	received := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 64)
		for i := range pings {
			line := []byte{'a' + byte(i%26), '\n'}
			writeFull(peer.fd, line)
			if n, err := readFull(peer.fd, buf[:2]); n != 2 || err != nil || !bytes.Equal(buf[:2], line) {
				t.Errorf("ping %d: echo %q, %v", i, buf[:n], err)
				return
			}
		}
		got, _ := readToEOF(peer.fd)
		received <- got
	}()
	var afterPings, afterWrite pollerCalls
	runScenario(t, l, func(done func()) {
		if c := p.of(s.t.FD()); *c != (pollerCalls{}) {
			t.Errorf("a new stream: monitor calls %+v, want none", *c)
		}
		n := 0
		var echo func([]byte)
		echo = func(line []byte) {
			s.Write(line, nil)
			if n++; n < pings {
				s.ReadUntil([]byte("\n"), echo)
				return
			}
			afterPings = *p.of(s.t.FD())
			s.Write(big, func() {
				l.AddCallback(func() { // after the stream has updated what it waits for
					afterWrite = *p.of(s.t.FD())
					s.Close()
					done()
				})
			})
		}
		s.ReadUntil([]byte("\n"), echo)
	})
	if want := (pollerCalls{registers: 1}); afterPings != want {
		t.Errorf("after %d echoes: monitor calls %+v, want %+v", pings, afterPings, want)
	}
	// READ -> WRITE when the last echo stops reading and owes 4 MiB; nothing when it is sent.
	if want := (pollerCalls{registers: 1, modifies: 1, unregisters: 1}); afterWrite != want {
		t.Errorf("after the large write: monitor calls %+v, want %+v", afterWrite, want)
	}
	if got := <-received; !bytes.Equal(got, big) {
		t.Errorf("peer received %d bytes after the pings, want %d", len(got), len(big))
	}
}
