// The TLS transport: chapter 4's IOStream over crypto/tls, the handshake on a helper goroutine
// that runs only while the loop waits for it, the data on the loop. Mirrors SSLIOStream in
// tornado/iostream.py (3.2): _do_ssl_handshake, read_from_fd, and writes held until the
// handshake is over.

package ssl

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
)

// ErrHandshake wraps the error of a handshake that failed (the peer left, a plaintext client,
// an alert, a certificate refused): the stream closes, and Transport.HandshakeErr says why.
var ErrHandshake = errors.New("ssl: handshake failed")

// The handshake's states.
type hsState uint8

const (
	hsIdle    hsState = iota // no byte yet; no goroutine yet
	hsRunning                // the helper goroutine exists, parked or running
	hsDone                   // complete: the loop does all the data
	hsFailed                 // ended with an error, or the transport closed
)

// Transport is a TLS connection as a chapter 4 Transport: NewIOStream(loop, t) reads and writes
// plaintext, and the descriptor carries records.
//
// The handshake. Python's ssl module returns SSLWantReadError when a handshake needs bytes that
// have not come, and Tornado 3.2 calls do_handshake again at the next event. Go's crypto/tls
// cannot be resumed: a handshake that sees an error keeps it. So Handshake runs on a helper
// goroutine over an adapter, and the loop drives it as Tornado drives OpenSSL: at each READ
// event, Read receives what the socket has, feeds it to the helper and waits until the helper
// has used it up (it needs more input) or Handshake has returned. The helper runs only inside
// that wait, so the handshake's work happens in the loop's turn, as OpenSSL's does in Tornado,
// and the loop sees the outcome through the channel receive, a synchronising hand-off: it never
// touches the tls.Conn before. A server's helper is started only when the first bytes arrive,
// so a port scanner that connects and leaves costs no goroutine.
//
// Data. Once the handshake is done, Read decrypts on the loop's goroutine, reading records until
// the descriptor would block (crypto/tls returns one record per call) and right away in the Read
// that saw the handshake end (records may have come with the client's Finished). Write only
// encrypts into a buffer that Flush sends: a write error would be permanent in crypto/tls. Reads
// can write too (a KeyUpdate answer, an alert): the stream asks Unflushed after every call.
//
// Ordering: as Tornado 3.2, the stream exists before the handshake ends, HandleStream is called
// at once, and what it writes waits (counted by Unflushed, gated by Sendable) until the
// handshake ends; reads simply find no input until then. So a server that writes first works.
// Tornado 4.2's wait_for_handshake is not needed for that.
//
// Errors as 3.2 classifies them: a peer that closes or resets during the handshake closes
// quietly (SSL_ERROR_EOF, ECONNRESET); any other handshake error (a plaintext client, an alert)
// logs one warning, "SSL Error on fd N". Either way the alert, if any, is offered to the socket
// and the stream closes at once, without another line; what the application wrote meanwhile is
// dropped, and its write callbacks never run; the transport's HandshakeErr says why.
type Transport struct {
	sock *tcpserver.SocketTransport
	a    adapter
	conn *tls.Conn
	loop *ioloop.IOLoop
	log  *slog.Logger

	state      hsState
	hsErr      error           // Handshake's error, once the loop has seen it
	plain      []byte          // written before the handshake ended
	more       bool            // the last Read filled its buffer: crypto/tls may hold more
	pending    error           // an end found after data was returned, for the next Read
	shut       bool            // CloseWrite: shut the socket's sending side once out has gone
	timer      *ioloop.Timeout // closes a handshake that stalls
	inFlight   *int            // the server's count of handshakes in flight, or nil
	countedOut bool            // this handshake has left inFlight
}

// The settings a transport takes from its server or client.
type settings struct {
	loop     *ioloop.IOLoop
	log      *slog.Logger
	timeout  time.Duration
	inFlight *int
}

// newTransport wraps sock; the handshake starts at the first input (server) or now (client).
func newTransport(sock *tcpserver.SocketTransport, cfg *tls.Config, server bool, st settings) *Transport {
	t := &Transport{sock: sock, loop: st.loop, log: st.log, inFlight: st.inFlight}
	t.a = adapter{fd: sock.FD(), handshaking: true, feed: make(chan struct{}), step: make(chan bool)}
	if server {
		t.conn = tls.Server(&t.a, cfg)
	} else {
		t.conn = tls.Client(&t.a, cfg)
	}
	if t.inFlight != nil {
		*t.inFlight++
	}
	if st.timeout > 0 {
		t.timer = st.loop.CallLater(st.timeout, t.stall)
	}
	return t
}

// runHandshake is the helper goroutine. Its last send hands the outcome to the loop.
func (t *Transport) runHandshake() {
	t.hsErr = t.conn.Handshake()
	t.a.step <- true
}

// resume gives the helper the loop's turn, starting it if it has not started, and waits until
// it needs more input (false) or Handshake has returned (true).
func (t *Transport) resume() bool {
	if t.state == hsIdle {
		t.state = hsRunning
		go t.runHandshake()
	} else {
		t.a.feed <- struct{}{}
	}
	return <-t.a.step
}

// stall is the handshake timer: shutting the socket down makes it readable, and the next Read
// sees EOF and ends the handshake quietly, inside the stream's own call.
func (t *Transport) stall() {
	t.timer = nil
	_ = unix.Shutdown(t.a.fd, unix.SHUT_RDWR)
}

// handshakeOver stops the timer and leaves the server's count.
func (t *Transport) handshakeOver() {
	if t.timer != nil {
		t.loop.RemoveTimeout(t.timer)
		t.timer = nil
	}
	if t.inFlight != nil && !t.countedOut {
		t.countedOut = true
		*t.inFlight--
	}
}

// Read returns plaintext. During the handshake it feeds the helper what one recv brings, sends
// at once what the helper wrote (no trip through the loop for WRITE), and returns would-block
// (EAGAIN) until the handshake is done; in the call that sees it done, it goes on at once to the
// data.
func (t *Transport) Read(p []byte) (int, error) {
	switch t.state {
	case hsDone:
		return t.readData(p)
	case hsFailed:
		return 0, io.EOF
	}
	n, err := nonblocking.Recv(t.a.fd, p)
	switch {
	case err == nil && n == 0:
		t.a.eof = true
	case err == nil:
		t.a.in = append(t.a.in, p[:n]...)
	case nonblocking.WouldBlock(err):
		return 0, err
	case t.state == hsIdle:
		t.state = hsFailed
		t.handshakeOver()
		return 0, err // a reset before any byte: quiet, as the stream treats a reset
	default:
		t.a.recvErr = err
	}
	if t.state == hsIdle && t.a.eof {
		t.state = hsFailed // connected and left (nmap -sT): no goroutine was spent
		t.handshakeOver()
		t.hsErr = io.EOF
		return 0, t.failed()
	}
	done := t.resume()
	if err := t.Flush(); err != nil && !nonblocking.WouldBlock(err) {
		return 0, err // the peer has gone: the stream closes quietly
	}
	if !done {
		return 0, unix.EAGAIN
	}
	return t.finished(p)
}

// finished runs once the loop has seen Handshake return.
func (t *Transport) finished(p []byte) (int, error) {
	t.handshakeOver()
	t.a.handshaking = false
	if err := t.hsErr; err != nil {
		t.state = hsFailed
		if !quiet(err) {
			t.warn(err)
		}
		return 0, t.failed()
	}
	t.state = hsDone
	if len(t.plain) > 0 {
		plain := t.plain
		t.plain = nil
		if _, err := t.conn.Write(plain); err != nil {
			return 0, err
		}
	}
	return t.readData(p)
}

// failed ends a failed handshake: the plaintext the application wrote meanwhile is dropped,
// and the alert, if crypto/tls wrote one, is sent if the socket takes it now. The error it
// returns closes the stream at once and quietly (it wraps ECONNABORTED, which the stream takes
// for a peer that has gone): the write callbacks of the dropped plaintext never run, and the
// warning, if any, has been logged here. HandshakeErr keeps the cause.
func (t *Transport) failed() error {
	t.plain = nil
	_ = t.Flush()
	t.hsErr = fmt.Errorf("%w: %w", ErrHandshake, t.hsErr)
	return fmt.Errorf("%w (%w)", t.hsErr, unix.ECONNABORTED)
}

// warn is 3.2's one line for a handshake that failed for a reason other than the peer leaving.
func (t *Transport) warn(err error) {
	peer := "?"
	if sa, perr := unix.Getpeername(t.a.fd); perr == nil {
		peer = blocking.FormatAddr(sa)
	}
	t.log.Warn(fmt.Sprintf("SSL Error on fd %d %s: %v", t.a.fd, peer, err))
}

// quiet reports whether a TLS error only says that the peer went away: EOF in the middle of the
// handshake or of a record, a reset, or the transport closing.
func quiet(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		blocking.PeerGone(err) || errors.Is(err, errAborted)
}

// readData reads records until p is full or the descriptor would block. tls.Conn.Read may
// return bytes with an error (the close_notify after the last record): the bytes go now, the
// error at the next call.
func (t *Transport) readData(p []byte) (int, error) {
	if err := t.pending; err != nil {
		t.pending = nil
		return 0, err
	}
	total := 0
	for total < len(p) {
		n, err := t.conn.Read(p[total:])
		total += n
		if err == nil {
			continue
		}
		t.more = false
		if err == errWouldBlock {
			err = unix.EAGAIN
		} else {
			err = t.readEnd(err)
		}
		if total > 0 {
			if !nonblocking.WouldBlock(err) {
				t.pending = err
			}
			return total, nil
		}
		return 0, err
	}
	t.more = true
	return total, nil
}

// readEnd maps the error that ends the data: the peer's close_notify or EOF is io.EOF; a peer
// that vanished mid-record, or reset, ends quietly; anything else (a bad record, an alert) is
// 3.2's warning, then EOF.
func (t *Transport) readEnd(err error) error {
	switch {
	case errors.Is(err, io.EOF):
		return io.EOF
	case blocking.PeerGone(err):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return io.EOF
	}
	t.warn(err)
	return io.EOF
}

// Buffered announces input crypto/tls may hold: a Read that filled its buffer may have left
// records behind, which no event announces; an end found after the last data is owed too.
func (t *Transport) Buffered() int {
	if t.more || t.pending != nil {
		return 1
	}
	return 0
}

// Write encrypts p, or keeps it until the handshake is done. It never sends: Flush does.
func (t *Transport) Write(p []byte) (int, error) {
	switch t.state {
	case hsDone:
		return t.conn.Write(p)
	case hsFailed:
		// The stream is about to close (its Read said EOF): a write meanwhile fails quietly,
		// as one to a peer that has gone does, so the handshake's warning stays the only line.
		return 0, fmt.Errorf("%w: %w", errAborted, unix.EPIPE)
	}
	t.plain = append(t.plain, p...)
	return len(p), nil
}

// Unflushed is the output the stream cannot see: records not sent, and plaintext waiting for the
// handshake.
func (t *Transport) Unflushed() int { return len(t.a.out) + len(t.plain) }

// Sendable is what a writable descriptor would let go: the records, not the waiting plaintext.
func (t *Transport) Sendable() int { return len(t.a.out) }

// Interest: during the handshake the peer's next message (READ) and the transport's own
// (WRITE); afterwards nothing of its own.
func (t *Transport) Interest() uint32 {
	want := ioloop.NONE
	if t.state == hsIdle || t.state == hsRunning {
		want |= ioloop.READ
	}
	if len(t.a.out) > 0 {
		want |= ioloop.WRITE
	}
	return want
}

// maxIdleOut is the capacity of the output buffer kept once it is empty.
const maxIdleOut = 64 << 10

// Flush sends the records waiting; then, after CloseWrite, shuts down the sending side.
func (t *Transport) Flush() error {
	for len(t.a.out) > 0 {
		n, err := nonblocking.Send(t.a.fd, t.a.out)
		if err != nil {
			return err
		}
		t.a.out = t.a.out[n:]
	}
	if cap(t.a.out) > maxIdleOut {
		t.a.out = nil
	} else {
		t.a.out = t.a.out[:0]
	}
	if t.shut {
		t.shut = false
		return t.sock.CloseWrite()
	}
	return nil
}

// CloseWrite sends close_notify, then shuts down the socket's sending side once it has gone. A
// handshake not done has nothing to close politely: tcpserver.ErrNoHalfClose. With no records
// waiting before it, the alert is sent at once, so that a stream that closes right after (its
// end after the peer's, a shutdown's idle connection) has said it; what the socket does not
// take now waits in Sendable for the stream's next flush, like any record.
func (t *Transport) CloseWrite() error {
	if t.state != hsDone {
		return tcpserver.ErrNoHalfClose
	}
	waiting := len(t.a.out)
	if err := t.conn.CloseWrite(); err != nil {
		return err
	}
	t.shut = true
	if waiting > 0 {
		return nil
	}
	if err := t.Flush(); err != nil && !nonblocking.WouldBlock(err) {
		return err
	}
	return nil
}

// Close ends a handshake in progress (its goroutine returns before Close does) and closes the
// descriptor. It does not send close_notify: a stream that ends politely has called CloseWrite.
func (t *Transport) Close() error {
	if t.state == hsRunning {
		t.a.abort = true
		t.a.feed <- struct{}{}
		<-t.a.step
		t.state = hsFailed
	}
	t.handshakeOver()
	// The ciphertext buffers count towards chapter 2's return of memory to the OS, as the
	// stream's own buffers do (crypto/tls's record buffers inside the tls.Conn are not visible).
	nonblocking.LetGo(cap(t.a.in) + cap(t.a.out))
	return t.sock.Close()
}

// FD is the socket's descriptor.
func (t *Transport) FD() int { return t.a.fd }

// SetNodelay sets TCP_NODELAY on the socket.
func (t *Transport) SetNodelay(on bool) error { return t.sock.SetNodelay(on) }

// ConnectionState is crypto/tls's, once the handshake is done (HandshakeComplete says).
func (t *Transport) ConnectionState() tls.ConnectionState {
	if t.state != hsDone {
		return tls.ConnectionState{}
	}
	return t.conn.ConnectionState()
}

// HandshakeErr says why the handshake failed, wrapping ErrHandshake: nil while it runs and
// after it succeeded. A peer that left mid-handshake is io.EOF (or the reset) inside it.
func (t *Transport) HandshakeErr() error {
	if t.state == hsFailed && errors.Is(t.hsErr, ErrHandshake) {
		return t.hsErr
	}
	return nil
}

// startClient runs a client's first step, the ClientHello, into the output buffer.
func (t *Transport) startClient() error {
	if t.resume() {
		t.a.handshaking = false
		t.state = hsFailed
		t.handshakeOver()
		return fmt.Errorf("%w: %w", ErrHandshake, t.hsErr)
	}
	return nil
}
