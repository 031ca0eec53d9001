//go:build unix && !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

// The default backend on a Unix with neither epoll nor kqueue (Solaris, AIX): poll(2), as
// Tornado falls back on select where it finds neither.

package ioloop

func newDefaultPoller() (Poller, error) { return NewPoll(), nil }
