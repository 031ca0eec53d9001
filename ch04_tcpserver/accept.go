// The accept handler: what the loop runs when a listening socket is readable. Mirrors
// tornado/netutil.py add_accept_handler (3.2), with the 128-accepts cap of Tornado 4.0.2, the
// remover of Tornado 5.0, and a spare descriptor and a back-off for when the process runs out of
// descriptors, which no Tornado version has.

package tcpserver

import (
	"fmt"
	"log/slog"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
)

// acceptsPerEvent caps the connections taken per readable event, as Tornado does since 4.0.2: the
// rest of the loop (connections already open, timers) gets its turn between batches however
// fast clients arrive. Like Tornado, it borrows the default backlog as a rough size for "what
// was waiting when we looked".
const acceptsPerEvent = blocking.Backlog

// An AcceptOption configures AddAcceptHandler.
type AcceptOption func(*acceptor)

// WithAcceptLogger sends the accept handler's reports (accept failing, accepting again) to
// logger instead of slog.Default(); nil means slog.Default().
func WithAcceptLogger(logger *slog.Logger) AcceptOption {
	return func(a *acceptor) {
		if logger != nil {
			a.log = logger
		}
	}
}

// AddAcceptHandler makes loop accept connections on the listening descriptor fd (from
// BindSockets or BindUnixSocket) and pass each to callback with the peer's address. The new
// descriptor is non-blocking and close-on-exec, and belongs to callback, which must not block.
// Each readable event accepts until the queue is empty (EAGAIN), at most 128 connections.
//
// The returned remove stops accepting at once, even in the middle of a batch (the connections
// still queued stay in the kernel), cancels a pending retry and closes the handler's spare
// descriptor; calling it twice is harmless. It does not close fd: call remove first, then close
// fd. AddAcceptHandler and remove belong to
// the loop's goroutine (call them before Start, or from a callback), like IOLoop.AddHandler.
//
// Errors of accept are of three kinds, and none of them stops the loop or the connections
// already open:
//   - EAGAIN: nothing more to accept; the batch ends.
//   - Errors of one connection (chapter 1's AcceptAgain: ECONNABORTED, the client left while
//     queued; EINTR; and the network errors Linux reports for the new connection, EPROTO among
//     them): skipped, the batch goes on.
//   - Out of descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM), and any error not
//     listed here: the connection stays queued and the listener stays readable. In Tornado the
//     error escapes the handler, the loop logs it, and the level-triggered poller reports the
//     listener again at once: a core spent writing log lines while nothing gets better, and
//     clients waiting unanswered. Here, out of descriptors, the handler spends chapter 1's
//     Reserve on the waiting client, one per event: its connection is closed at once. Where the
//     spare cannot help, the listener is removed from the loop, and accept is tried again after
//     chapter 1's AcceptBackoff pause (10 ms, then 20 ms, and so on up to 1 s), until a batch
//     ends without running out (the queue empty, or 128 taken). One line is logged when the
//     shortage starts and one when it ends, however long it lasts and however many retries and
//     refusals it takes.
func AddAcceptHandler(loop *ioloop.IOLoop, fd int, callback func(conn int, addr unix.Sockaddr),
	opts ...AcceptOption) (remove func(), err error) {
	reserve, err := blocking.OpenReserve()
	if err != nil {
		return nil, fmt.Errorf("tcpserver: accept: %w", err)
	}
	a := &acceptor{loop: loop, fd: fd, callback: callback, log: slog.Default(), reserve: reserve}
	for _, opt := range opts {
		opt(a)
	}
	a.log = a.log.With("fd", fd)
	if err := loop.AddHandler(fd, a.onReadable, ioloop.READ); err != nil {
		reserve.Close()
		return nil, fmt.Errorf("tcpserver: accept: %w", err) // the loop's error names fd
	}
	return a.remove, nil
}

// acceptor is the state of one accept handler. Only the loop's goroutine touches it.
type acceptor struct {
	loop     *ioloop.IOLoop
	fd       int
	callback func(conn int, addr unix.Sockaddr)
	log      *slog.Logger

	removed bool
	reserve *blocking.Reserve // spent on a waiting client when out of descriptors
	// While accept fails for want of resources the spare cannot cure, the listener is not
	// registered with the loop and retry is scheduled on timer.
	backoff blocking.AcceptBackoff
	timer   *ioloop.Timeout
}

func (a *acceptor) onReadable(int, uint32) {
	acceptTotals.events.Add(1)
	a.acceptBatch()
}

// acceptBatch accepts up to acceptsPerEvent connections, checking before each one that a
// callback has not removed the handler (and perhaps closed fd) in the meantime. A batch that
// ends without running out of resources (the queue is empty, or the cap is reached) ends a stall.
func (a *acceptor) acceptBatch() {
	progress := false
	for range acceptsPerEvent {
		if a.removed {
			return
		}
		conn, addr, err := acceptConn(a.fd)
		switch {
		case err == nil:
			progress = true
			acceptTotals.accepted.Add(1)
			a.callback(conn, addr)
		case nonblocking.WouldBlock(err):
			acceptTotals.wouldBlock.Add(1)
			a.backoff.Succeeded(a.log)
			return
		case blocking.AcceptAgain(err):
		default:
			refused, rerr := a.reserve.Refuse(a.fd, err)
			switch {
			case refused:
				a.backoff.Refused(a.log, err)
			case rerr != nil:
				a.stall(err, progress)
			}
			return
		}
	}
	a.backoff.Succeeded(a.log)
}

// stall stops watching the listener and schedules a retry after the back-off's pause, which
// doubles while retries accept nothing and starts again from the first when one accepted
// something before failing again (descriptors are coming back, a few at a time). Either way the
// stall goes on, and is not logged again.
func (a *acceptor) stall(err error, progress bool) {
	pause := a.backoff.Failed(a.log, err, progress)
	a.loop.RemoveHandler(a.fd)
	a.timer = a.loop.CallLater(pause, a.retry)
}

// retry tries to accept while the listener is still off the loop, and puts it back only once
// accept no longer fails: a retry that fails again costs one accept and no epoll_ctl calls.
func (a *acceptor) retry() {
	a.timer = nil
	a.acceptBatch()
	if a.removed || a.timer != nil {
		return
	}
	if err := a.loop.AddHandler(a.fd, a.onReadable, ioloop.READ); err != nil {
		a.log.Error("tcpserver: cannot watch the listener again; it accepts no more connections",
			"err", err)
	}
}

func (a *acceptor) remove() {
	if a.removed {
		return
	}
	a.removed = true
	a.loop.RemoveHandler(a.fd)
	a.loop.RemoveTimeout(a.timer)
	a.timer = nil
	a.reserve.Close()
}
