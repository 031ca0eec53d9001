//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package ioloop_test

import ioloop "tornadotcp/ch03_epoll"

// The echo server is tested on kqueue, its monitor on the BSDs and macOS, and on poll(2).
var monitors = []monitor{
	{"kqueue", func() (ioloop.Poller, error) { return ioloop.NewKqueue() }},
	{"poll", func() (ioloop.Poller, error) { return ioloop.NewPoll(), nil }},
}
