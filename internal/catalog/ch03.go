package catalog

import ioloop "tornadotcp/ch03_epoll"

func init() {
	register(
		withOptions(Entry{
			ID:      "ch03/epoll",
			Summary: "one thread asleep in epoll_wait (kqueue on the BSDs and macOS) on an IOLoop: an idle connection costs a pass nothing",
		}, listenIOLoopEcho("ch03/epoll", nil)),
		withOptions(Entry{
			ID:      "ch03/poll",
			Summary: "the same IOLoop server on the poll(2) monitor: one thread, but every pass hands the kernel the whole list",
		}, listenIOLoopEcho("ch03/poll", func() []ioloop.Option {
			return []ioloop.Option{ioloop.WithPoller(ioloop.NewPoll())}
		})),
	)
}

// listenIOLoopEcho listens with chapter 3's EchoServer on the loop options newOpts makes (a
// Poller is owned by the loop it is given to, so each server needs a new one), with o's idle
// timeout.
func listenIOLoopEcho(id string, newOpts func() []ioloop.Option) func(string, Options) (*ioloop.EchoServer, error) {
	return func(hostport string, o Options) (*ioloop.EchoServer, error) {
		if err := o.idleOnly(id); err != nil {
			return nil, err
		}
		var opts []ioloop.Option
		if newOpts != nil {
			opts = newOpts()
		}
		s, err := ioloop.NewEchoServer(hostport, opts...)
		if err != nil {
			return nil, err
		}
		s.SetIdleTimeout(o.IdleTimeout)
		return s, nil
	}
}
