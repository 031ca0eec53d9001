// The IOLoop and its pass: run callbacks, run due timeouts, wait in the monitor, dispatch what
// is ready. Mirrors tornado/ioloop.py (3.2): PollIOLoop.initialize, start, stop and close.

package ioloop

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// maxEvents is how many ready fds one Wait reports (Tornado's kqueue backend asks for 1000).
// More ready fds are not lost: the monitor reports them on the next pass.
const maxEvents = 1024

// maxWait is the longest the loop sleeps when nothing is scheduled: an hour, as in Tornado.
const maxWait = 3600 * time.Second

// yieldEvery is how often the loop hands its turn to the Go scheduler: half the 10 ms after which
// the runtime's sysmon treats a goroutine that has not been through the scheduler as running too
// long (forcePreemptNS in runtime/proc.go). See yield.
const yieldEvery = 5 * time.Millisecond

// IOLoop is a single-threaded event loop. Only AddCallback and Stop may be called from any
// goroutine; everything else belongs to the goroutine running Start (from inside handlers,
// callbacks and timeouts), or to any one goroutine while the loop is not running. Tornado makes
// the same rule for its threads; here the race detector catches a breach in tests.
type IOLoop struct {
	poller Poller
	waker  waker
	log    *slog.Logger
	epoch  time.Time // the zero of the loop's monotonic clock, see now

	// Owned by the loop's goroutine.
	handlers map[int]*handlerEntry
	waits    uint64        // Waits done so far; tells stale events from fresh handlers (dispatch)
	yielded  time.Duration // when the loop last went through the scheduler, see yield
	events   []Event
	timers   timerState
	spare    []func() // the previous pass's callback slice, reused

	// Shared with other goroutines, under mu.
	mu        sync.Mutex
	callbacks []func()
	running   bool // inside Start
	stopped   bool // Stop was called; the loop leaves at the end of this pass, or at once
	sleeping  bool // about to wait, or waiting, with a timeout and not yet woken
	closed    bool
}

// New creates a loop with its monitor (the platform's default unless WithPoller says otherwise)
// and its waker, registered as the first handler.
func New(opts ...Option) (*IOLoop, error) {
	l := &IOLoop{
		epoch:    time.Now(),
		handlers: make(map[int]*handlerEntry),
		events:   make([]Event, maxEvents),
	}
	for _, opt := range opts {
		opt(l)
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.poller == nil {
		p, err := newDefaultPoller()
		if err != nil {
			return nil, fmt.Errorf("ioloop: %w", err)
		}
		l.poller = p
	}
	w, err := newWaker()
	if err != nil {
		l.poller.Close()
		return nil, fmt.Errorf("ioloop: %w", err)
	}
	l.waker = w
	if err := l.AddHandler(w.fd(), func(int, uint32) { w.consume() }, READ); err != nil {
		w.close()
		l.poller.Close()
		return nil, err
	}
	return l, nil
}

// now is the loop's clock: time since New on the monotonic clock, which a change of the wall
// clock (NTP, a user setting the date) cannot move. Tornado 3.2 used time.time(), the wall clock.
func (l *IOLoop) now() time.Duration { return time.Since(l.epoch) }

// Start runs the loop until Stop. It returns nil after Stop, ErrAlreadyRunning if the loop is
// running already (nested or from another goroutine), ErrLoopClosed after Close, or the
// monitor's error if waiting fails. If Stop was called while the loop was not running, Start
// returns nil at once and the next Start runs normally.
//
// The goroutine that calls Start is locked to its OS thread until Start returns: the loop is one
// thread in the kernel's eyes, as in Tornado, and Current can find it by thread id.
func (l *IOLoop) Start() error {
	if run, err := l.enter(); !run {
		return err
	}
	defer l.leave()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	setRunning(l)
	defer clearRunning(l)

	for {
		l.runCallbacks()
		timeout := l.runTimeouts()
		timeout, ok := l.prepareWait(timeout)
		if !ok {
			return nil
		}
		l.yield()
		n, err := l.poller.Wait(l.events, timeout)
		l.awake()
		if err != nil {
			return fmt.Errorf("ioloop: %w", err)
		}
		l.waits++
		l.dispatch(l.events[:n])
	}
}

// yield lets the Go scheduler run once every yieldEvery, just before the loop waits.
//
// The wait is an ordinary system call: while the loop sleeps in it, the runtime may take the loop's
// P (its right to run Go code) for another thread. Its monitor thread, sysmon, takes it when it
// finds the P in the same system call on two looks in a row, or in any system call once the
// goroutine has gone 10 ms without passing through the scheduler. A loop that only moves between
// its callbacks and epoll_wait never passes through it, so after its first 10 ms every look of
// sysmon that finds it asleep takes the P, wakes another thread to hold it, and resets sysmon to
// its shortest sleep (20 µs). With GOMAXPROCS=1 no other P is idle to excuse the loop, and with the
// process on one CPU every wake of sysmon is a context switch the loop pays for. A Gosched every
// few milliseconds tells the runtime the loop is not a runaway goroutine, and sysmon backs off to
// sleeps of 10 ms. On a locked thread a Gosched costs two thread wake-ups (the P goes round another
// thread and back); at most 200 a second.
func (l *IOLoop) yield() {
	if now := l.now(); now-l.yielded >= yieldEvery {
		l.yielded = now
		runtime.Gosched()
	}
}

func (l *IOLoop) enter() (run bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return false, fmt.Errorf("ioloop: start: %w", ErrLoopClosed)
	case l.running:
		return false, fmt.Errorf("ioloop: start: %w", ErrAlreadyRunning)
	case l.stopped:
		l.stopped = false
		return false, nil
	}
	l.running = true
	return true, nil
}

func (l *IOLoop) leave() {
	l.mu.Lock()
	l.running, l.stopped, l.sleeping = false, false, false
	l.mu.Unlock()
}

// prepareWait decides how long to wait, or that the loop must leave. It runs under the lock that
// AddCallback takes, so a callback added from another goroutine either is seen here (and the
// loop does not sleep) or sees sleeping set (and wakes the loop): none is left waiting an hour.
func (l *IOLoop) prepareWait(timeout time.Duration) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return 0, false
	}
	if len(l.callbacks) > 0 {
		timeout = 0
	}
	l.sleeping = timeout > 0
	return timeout, true
}

func (l *IOLoop) awake() {
	l.mu.Lock()
	l.sleeping = false
	l.mu.Unlock()
}

// wakeLocked interrupts a sleeping loop, once. The caller holds mu.
func (l *IOLoop) wakeLocked() {
	if l.sleeping {
		l.sleeping = false
		l.waker.wake()
	}
}

// Stop makes the loop leave after the current pass; from any goroutine. Work scheduled before
// Stop may still run in that pass. If the loop is not running, the next Start returns at once.
func (l *IOLoop) Stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	l.wakeLocked()
}

// Close releases the monitor and the waker. The loop must not be running (Tornado: stop, let
// start return, then close). Callbacks not yet run are dropped and AddCallback fails from now on.
// Closing twice is harmless. Closing the Instance loop forgets it, so Instance makes a new one.
func (l *IOLoop) Close() error { return l.close(false) }

// CloseAll is Close that also closes every descriptor still registered with a handler
// (Tornado's close(all_fds=True)), for tests and programs that leave their sockets to the loop.
func (l *IOLoop) CloseAll() error { return l.close(true) }

func (l *IOLoop) close(allFDs bool) error {
	l.mu.Lock()
	if l.running {
		l.mu.Unlock()
		return fmt.Errorf("ioloop: close: %w", ErrAlreadyRunning)
	}
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.callbacks = nil
	l.mu.Unlock()

	forgetInstance(l)
	if allFDs {
		for fd := range l.handlers {
			if fd != l.waker.fd() {
				unix.Close(fd) // an fd its owner already closed gives EBADF; nothing to do
			}
		}
	}
	clear(l.handlers)
	for _, t := range l.timers.heap {
		t.fn, t.index = nil, -1 // dropped: RemoveTimeout on their handles does nothing
	}
	l.timers = timerState{}
	return errors.Join(l.waker.close(), l.poller.Close())
}

func (l *IOLoop) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}
