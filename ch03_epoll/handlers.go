// Handlers: what runs when an fd is ready, and the dispatch of one pass's ready fds. Mirrors
// tornado/ioloop.py (3.2) add_handler, update_handler, remove_handler and the dispatch loop at the
// end of PollIOLoop.start.

package ioloop

import (
	"fmt"
	"runtime/debug"
)

// A Handler is called on the loop's goroutine with the fd and the events it is ready for.
type Handler func(fd int, events uint32)

type handlerEntry struct {
	fn    Handler
	since uint64 // the value of IOLoop.waits when it was added
}

// AddHandler calls handler whenever fd is ready for events (READ, WRITE or both). ERROR is
// always watched too: a handler must be told when its fd fails, whatever it asked for. Adding an
// fd that already has a handler is an error matching ErrRegistered.
func (l *IOLoop) AddHandler(fd int, handler Handler, events uint32) error {
	if l.isClosed() {
		return fmt.Errorf("ioloop: add handler for fd %d: %w", fd, ErrLoopClosed)
	}
	if _, ok := l.handlers[fd]; ok {
		return fmt.Errorf("ioloop: add handler for fd %d: %w", fd, ErrRegistered)
	}
	if err := l.poller.Register(fd, events|ERROR); err != nil {
		return fmt.Errorf("ioloop: add handler: %w", err)
	}
	l.handlers[fd] = &handlerEntry{fn: handler, since: l.waits}
	return nil
}

// UpdateHandler changes the events watched for fd (ERROR stays watched), as a stream does when it
// has something to write and wants WRITE, then drops it when the buffer is empty.
func (l *IOLoop) UpdateHandler(fd int, events uint32) error {
	if _, ok := l.handlers[fd]; !ok {
		return fmt.Errorf("ioloop: update handler for fd %d: %w", fd, ErrNotRegistered)
	}
	if err := l.poller.Modify(fd, events|ERROR); err != nil {
		return fmt.Errorf("ioloop: update handler: %w", err)
	}
	return nil
}

// RemoveHandler stops watching fd. An fd that has no handler is not an error, so a close path
// may call it without knowing whether the fd was ever added. An event for fd that the current
// pass has not dispatched yet is dropped: a handler that closes another connection must not see
// that connection's handler run afterwards. Call it before closing fd.
func (l *IOLoop) RemoveHandler(fd int) {
	if _, ok := l.handlers[fd]; !ok {
		return
	}
	delete(l.handlers, fd)
	if err := l.poller.Unregister(fd); err != nil {
		l.log.Debug("ioloop: remove handler", "fd", fd, "err", err)
	}
}

// dispatch runs the handlers of one Wait's ready fds, one fd at a time, looking each handler up
// again just before calling it (Tornado pops fds one by one from a dict for the same reason).
// An fd whose handler was removed meanwhile is skipped; so is one added during this dispatch,
// because the event belongs to the fd that had the same number before.
func (l *IOLoop) dispatch(ready []Event) {
	for _, ev := range ready {
		h, ok := l.handlers[ev.FD]
		if !ok || h.since == l.waits {
			continue
		}
		l.callHandler(h.fn, ev.FD, ev.Events)
	}
}

// callHandler runs a handler so that its panic is logged with its fd and the loop goes on, as
// Tornado logs a handler's exception (handle_callback_exception) and keeps running.
func (l *IOLoop) callHandler(h Handler, fd int, events uint32) {
	defer func() {
		if r := recover(); r != nil {
			l.log.Error("ioloop: panic in handler", "fd", fd, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	h(fd, events)
}
