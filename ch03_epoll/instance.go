// The process-wide loop and the running one. Mirrors tornado/ioloop.py (3.2) IOLoop.instance,
// initialized and current.

package ioloop

import "sync"

var instance struct {
	sync.Mutex
	loop *IOLoop
}

// Instance returns the process-wide loop, creating it with the default monitor on first use.
// Tornado's programs use this one loop for everything; a server started without a loop (chapter
// 4) takes it. If creating it fails (out of descriptors), the error is returned and the next call
// tries again. Closing it forgets it.
func Instance() (*IOLoop, error) {
	instance.Lock()
	defer instance.Unlock()
	if instance.loop == nil {
		l, err := New()
		if err != nil {
			return nil, err
		}
		instance.loop = l
	}
	return instance.loop, nil
}

// Initialized reports whether the Instance loop exists (chapter 5 refuses to fork after that, as
// Tornado's fork_processes does: a child would share the parent's epoll).
func Initialized() bool {
	instance.Lock()
	defer instance.Unlock()
	return instance.loop != nil
}

func forgetInstance(l *IOLoop) {
	instance.Lock()
	defer instance.Unlock()
	if instance.loop == l {
		instance.loop = nil
	}
}

// running maps each loop inside Start to the OS thread it runs on.
var running struct {
	sync.Mutex
	loops map[*IOLoop]int
}

func setRunning(l *IOLoop) {
	tid, _ := threadID()
	running.Lock()
	defer running.Unlock()
	if running.loops == nil {
		running.loops = make(map[*IOLoop]int)
	}
	running.loops[l] = tid
}

func clearRunning(l *IOLoop) {
	running.Lock()
	defer running.Unlock()
	delete(running.loops, l)
}

// Current returns the loop running on the calling goroutine (from a handler, callback or timeout),
// or else Instance(). Tornado keeps the current loop in a thread-local; Go has no goroutine-local
// storage, but it has the next best thing here: Start locks its goroutine to an OS thread, and a
// locked thread runs no other goroutine, so the calling thread's id names the running loop
// exactly. That needs gettid, which Linux has. Elsewhere Current returns the running loop if
// exactly one is running (the common program), and Instance() otherwise. Pass loops explicitly
// where there are several.
func Current() (*IOLoop, error) {
	tid, exact := threadID()
	running.Lock()
	var found *IOLoop
	for l, t := range running.loops {
		if exact && t == tid || !exact && len(running.loops) == 1 {
			found = l
		}
	}
	running.Unlock()
	if found != nil {
		return found, nil
	}
	return Instance()
}
