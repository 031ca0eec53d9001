package ioloop_test

import ioloop "tornadotcp/ch03_epoll"

// The echo server is tested on level-triggered epoll, its monitor on Linux, and on poll(2).
var monitors = []monitor{
	{"epoll", func() (ioloop.Poller, error) { return ioloop.NewEpoll(false) }},
	{"poll", func() (ioloop.Poller, error) { return ioloop.NewPoll(), nil }},
}
