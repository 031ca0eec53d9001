// The plain transport: non-blocking from the start, "nothing yet" as EAGAIN, the peer's end
// as io.EOF, a descriptor closed once, and SetNodelay. Then the stream against a fake TLS
// transport: output and input the transport holds, and events of its own.

package tcpserver

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

func TestSocketTransport(t *testing.T) {
	testutil.CheckLeaks(t)
	a, b := streamSocketpair(t)
	peer := &peerFD{fd: b}
	defer peer.Close()
	tr, err := NewSocketTransport(a)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if tr.FD() != a {
		t.Errorf("FD %d, want %d", tr.FD(), a)
	}
	if flags, err := unix.FcntlInt(uintptr(a), unix.F_GETFL, 0); err != nil || flags&unix.O_NONBLOCK == 0 {
		t.Errorf("descriptor not non-blocking (flags %#x, %v)", flags, err)
	}
	buf := make([]byte, 16)
	if n, err := tr.Read(buf); n != 0 || !nonblocking.WouldBlock(err) {
		t.Errorf("Read with nothing sent: %d, %v; want 0 and EAGAIN", n, err)
	}
	if n, err := tr.Write([]byte("ping")); n != 4 || err != nil {
		t.Errorf("Write: %d, %v", n, err)
	}
	got := make([]byte, 4)
	if n, err := unix.Read(b, got); n != 4 || err != nil || string(got) != "ping" {
		t.Errorf("peer read %q, %v; want ping", got[:max(n, 0)], err)
	}
	writeFull(b, []byte("pong"))
	if n, err := tr.Read(buf); n != 4 || err != nil || string(buf[:4]) != "pong" {
		t.Errorf("Read: %d %q, %v", n, buf[:n], err)
	}
	peer.CloseWrite()
	if n, err := tr.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("Read after the peer shut down: %d, %v; want 0, io.EOF", n, err)
	}
}

// Close closes the descriptor; NewSocketTransport refuses a descriptor that is not open.
func TestSocketTransportClose(t *testing.T) {
	testutil.CheckLeaks(t)
	a, b := streamSocketpair(t)
	defer unix.Close(b)
	tr, err := NewSocketTransport(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := unix.FcntlInt(uintptr(a), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Errorf("descriptor still open after Close (%v)", err)
	}
	if _, err := NewSocketTransport(a); !errors.Is(err, unix.EBADF) {
		t.Errorf("NewSocketTransport on a closed descriptor: %v, want EBADF", err)
	}
}

// SetNodelay sets TCP_NODELAY on a TCP stream, as getsockopt reads back; on a unix socket, on a
// transport that cannot set it, and on a closed stream it does nothing and succeeds, as
// Tornado's set_nodelay does.
func TestIOStreamSetNodelay(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	nodelay := func(s *IOStream) int {
		v, err := unix.GetsockoptInt(s.t.FD(), unix.IPPROTO_TCP, unix.TCP_NODELAY)
		if err != nil {
			t.Fatalf("getsockopt TCP_NODELAY: %v", err)
		}
		return v
	}
	runScenario(t, l, func(done func()) {
		tcpPair(t, l, logs, func(server, _ *IOStream) {
			for _, on := range []bool{true, false, true} {
				if err := server.SetNodelay(on); err != nil {
					t.Errorf("SetNodelay(%v): %v", on, err)
				}
				if got, want := nodelay(server) != 0, on; got != want {
					t.Errorf("after SetNodelay(%v), TCP_NODELAY is %v", on, got)
				}
			}
			done()
		})
	})
	s, _ := rawStreamPeer(t, l, logs)
	if err := s.SetNodelay(true); err != nil {
		t.Errorf("SetNodelay on a unix socket: %v, want nil", err)
	}
	a, b := streamSocketpair(t)
	defer unix.Close(b)
	plain := NewIOStream(l, onlyTransport{mustTransport(t, a)})
	if err := plain.SetNodelay(true); err != nil {
		t.Errorf("SetNodelay on a transport without it: %v, want nil", err)
	}
	plain.Close()
	if err := plain.SetNodelay(true); err != nil {
		t.Errorf("SetNodelay on a closed stream: %v, want nil", err)
	}
}

// fakeTLS is a transport that keeps state between the stream and the socket, as chapter 6's
// TLS transport will: output it holds and sends a few bytes per Flush (records waiting for the
// socket), a half-close that is one more message to send before the socket's own shutdown
// (close_notify), input it holds that the socket no longer shows (records read ahead), and
// events of its own (a handshake). It counts what the stream asks of it.
type fakeTLS struct {
	*SocketTransport
	held       []byte   // output taken by Write and not yet sent
	perFlush   int      // the most one Flush sends
	shutdown   bool     // CloseWrite was called: shut the socket down once held has gone
	records    [][]byte // input held, returned one record per Read
	interest   uint32   // what it asks the loop for, for itself
	onRead     func()   // called at each Read, before it reads
	flushes    int
	socketRead int
}

func (f *fakeTLS) Write(p []byte) (int, error) {
	f.held = append(f.held, p...)
	return len(p), nil
}

func (f *fakeTLS) Unflushed() int { return len(f.held) }

func (f *fakeTLS) Flush() error {
	f.flushes++
	if len(f.held) > 0 {
		n, err := f.SocketTransport.Write(f.held[:min(len(f.held), f.perFlush)])
		if err != nil {
			return err
		}
		f.held = f.held[n:]
	}
	if len(f.held) > 0 {
		return unix.EAGAIN
	}
	if f.shutdown {
		f.shutdown = false
		return f.SocketTransport.CloseWrite()
	}
	return nil
}

func (f *fakeTLS) CloseWrite() error {
	f.held = append(f.held, "<close_notify>"...)
	f.shutdown = true
	return nil
}

func (f *fakeTLS) Buffered() int {
	n := 0
	for _, r := range f.records {
		n += len(r)
	}
	return n
}

func (f *fakeTLS) Read(p []byte) (int, error) {
	if f.onRead != nil {
		f.onRead()
	}
	if len(f.records) > 0 {
		n := copy(p, f.records[0])
		if f.records[0] = f.records[0][n:]; len(f.records[0]) == 0 {
			f.records = f.records[1:]
		}
		return n, nil
	}
	f.socketRead++
	return f.SocketTransport.Read(p)
}

func (f *fakeTLS) Interest() uint32 { return f.interest }

// fakeTLSStream is a stream on a fakeTLS over a socketpair, and the peer's end, on a loop
// that counts what it asks of its monitor.
func fakeTLSStream(t *testing.T) (*ioloop.IOLoop, *countingPoller, *IOStream, *fakeTLS, *peerFD) {
	t.Helper()
	l, logs, p := newCountingLoop(t)
	a, b := streamSocketpair(t)
	peer := &peerFD{fd: b}
	t.Cleanup(peer.Close)
	f := &fakeTLS{SocketTransport: mustTransport(t, a).(*SocketTransport), perFlush: 3}
	s := NewIOStream(l, f, WithStreamLogger(logs.Logger()))
	t.Cleanup(s.Close)
	return l, p, s, f, peer
}

// Output the transport holds is owed: the stream watches WRITE for it and calls Flush until it
// has gone, and a write callback runs only then, with every byte at the peer.
func TestIOStreamWriteWaitsForTransportOutput(t *testing.T) {
	testutil.CheckLeaks(t)
	l, _, s, f, peer := fakeTLSStream(t)
	msg := []byte("a record of plaintext, sent a few bytes at a time")
	var heldAtCallback, flushesAtCallback int
	runScenario(t, l, func(done func()) {
		s.Write(msg, func() {
			heldAtCallback, flushesAtCallback = f.Unflushed(), f.flushes
			done()
		})
		if s.out.Len() != 0 || f.Unflushed() == 0 || s.events&ioloop.WRITE == 0 {
			t.Errorf("after Write: stream owes %d, transport holds %d, watching %#x; want 0, some, WRITE",
				s.out.Len(), f.Unflushed(), s.events)
		}
	})
	if heldAtCallback != 0 || flushesAtCallback < len(msg)/f.perFlush {
		t.Fatalf("the write callback ran with %d bytes held after %d flushes", heldAtCallback, flushesAtCallback)
	}
	got := make([]byte, len(msg))
	if n, err := readFull(peer.fd, got); err != nil || !bytes.Equal(got, msg) {
		t.Errorf("the peer read %q, %v; want %q", got[:n], err, msg)
	}
}

// A half-close through a transport that holds output: CloseWrite is ErrWritePending while the
// transport holds a record; once it has gone, CloseWrite queues the transport's own message,
// and the stream flushes it before the socket is shut down (the peer reads all, then EOF).
func TestIOStreamCloseWriteWaitsForTransportOutput(t *testing.T) {
	testutil.CheckLeaks(t)
	l, _, s, _, peer := fakeTLSStream(t)
	received := make(chan []byte, 1)
	var pendingErr error
	runScenario(t, l, func(done func()) {
		s.Write([]byte("answer"), func() {
			if err := s.CloseWrite(); err != nil {
				t.Errorf("CloseWrite once the answer has gone: %v", err)
			}
			go func() {
				got, _ := readToEOF(peer.fd)
				received <- got
				peer.CloseWrite()
			}()
			s.ReadUntilClose(func([]byte) { done() }, nil)
		})
		pendingErr = s.CloseWrite()
	})
	if !errors.Is(pendingErr, ErrWritePending) {
		t.Errorf("CloseWrite with the transport holding output: %v, want ErrWritePending", pendingErr)
	}
	if got := string(<-received); got != "answer<close_notify>" {
		t.Errorf("the peer read %q before EOF, want the answer and the transport's message", got)
	}
}

// The close after the end (ReadUntilClose has seen the peer's EOF) waits until the output the
// transport holds has gone, its own end message included (closeAtEnd half-closes first): the
// peer reads the whole answer and the transport's message, and the stream closes cleanly.
func TestIOStreamCloseAfterEndWaitsForTransportOutput(t *testing.T) {
	testutil.CheckLeaks(t)
	l, _, s, f, peer := fakeTLSStream(t)
	peer.CloseWrite()
	answer := bytes.Repeat([]byte("0123456789"), 10)
	heldAtEnd, heldAtClose := 0, -1
	runScenario(t, l, func(done func()) {
		s.SetCloseCallback(func() { heldAtClose = f.Unflushed(); done() })
		s.Write(answer, nil)
		s.ReadUntilClose(func([]byte) { heldAtEnd = f.Unflushed() }, nil)
	})
	want := append(bytes.Clone(answer), "<close_notify>"...)
	got := make([]byte, len(want)+1)
	n, _ := readFull(peer.fd, got)
	if !bytes.Equal(got[:n], want) {
		t.Errorf("the peer read %q before the close, want %q", got[:n], want)
	}
	if heldAtEnd == 0 || heldAtClose != 0 || s.Error() != nil {
		t.Errorf("held %d bytes at the end, %d at the close, Error %v; want some, 0, nil", heldAtEnd, heldAtClose, s.Error())
	}
}

// Input the transport holds (records read ahead) is read without any event from the loop: the
// socket has nothing, the monitor never reports the descriptor, and both lines arrive.
func TestIOStreamReadsTransportBufferedInput(t *testing.T) {
	testutil.CheckLeaks(t)
	l, p, s, f, _ := fakeTLSStream(t)
	f.records = [][]byte{[]byte("one\n"), []byte("two\n")}
	var lines []string
	runScenario(t, l, func(done func()) {
		s.ReadUntil(newline, func(line []byte) {
			lines = append(lines, string(line))
			s.ReadUntil(newline, func(line []byte) {
				lines = append(lines, string(line))
				done()
			})
		})
	})
	if want := []string{"one\n", "two\n"}; !slices.Equal(lines, want) {
		t.Errorf("lines %q, want %q", lines, want)
	}
	if ready := p.ready[f.FD()]; ready != 0 || f.socketRead != 0 {
		t.Errorf("the descriptor was reported %d times and read %d times; want neither", ready, f.socketRead)
	}
}

// A transport's own interest is registered with the loop whatever the application does: a
// handshake that wants READ while nothing is read gets the peer's bytes through Read; when it
// then wants WRITE, the stream watches WRITE and calls Flush; when it wants nothing, the
// stream, which waits for nothing either, is unregistered.
func TestIOStreamRegistersTransportInterest(t *testing.T) {
	testutil.CheckLeaks(t)
	l, p, s, f, peer := fakeTLSStream(t)
	f.interest = ioloop.READ
	var steps []string
	f.onRead = func() {
		steps = append(steps, "read")
		f.interest = ioloop.WRITE // the handshake has its answer to send
	}
	runScenario(t, l, func(done func()) {
		s.Write(nil, nil) // any call lets the stream ask the transport what it wants
		if s.events != ioloop.READ {
			t.Errorf("watching %#x with the transport asking for READ", s.events)
		}
		writeFull(peer.fd, []byte("client hello"))
		var wait func()
		wait = func() {
			if f.flushes == 0 {
				l.AddCallback(wait)
				return
			}
			steps = append(steps, "flush")
			f.interest = ioloop.NONE // the handshake is over
			s.Write(nil, nil)
			done()
		}
		wait()
	})
	if want := []string{"read", "flush"}; !slices.Equal(steps, want) {
		t.Errorf("the transport was asked %q, want %q", steps, want)
	}
	if c := p.of(f.FD()); *c != (pollerCalls{registers: 1, modifies: 1, unregisters: 1}) {
		t.Errorf("monitor calls %+v, want READ, then WRITE, then nothing", *c)
	}
}
