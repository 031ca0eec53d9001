package catalog

import ioloop "tornadotcp/ch03_epoll"

func init() {
	register(
		Entry{
			ID:      "ch03/epoll",
			Summary: "one thread asleep in epoll_wait (kqueue on the BSDs and macOS) on an IOLoop: idle connections cost no pass anything",
			Listen:  listener(func(hostport string) (*ioloop.EchoServer, error) { return ioloop.NewEchoServer(hostport) }),
		},
		Entry{
			ID:      "ch03/poll",
			Summary: "the same IOLoop server on the poll(2) monitor: one thread, but every pass hands the kernel the whole list",
			Listen: listener(func(hostport string) (*ioloop.EchoServer, error) {
				return ioloop.NewEchoServer(hostport, ioloop.WithPoller(ioloop.NewPoll()))
			}),
		},
	)
}
