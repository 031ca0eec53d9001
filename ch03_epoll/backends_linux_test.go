// On Linux the tests run on epoll, level- and edge-triggered, and on poll(2).

package ioloop

func testBackends() []backend {
	return []backend{
		{name: "epoll", new: func() (Poller, error) { return NewEpoll(false) }, hangupIsError: true, errorOnlySilent: true},
		{name: "epoll-et", new: func() (Poller, error) { return NewEpoll(true) }, edge: true, hangupIsError: true, errorOnlySilent: true},
		{name: "poll", new: func() (Poller, error) { return NewPoll(), nil }, hangupIsError: true, errorOnlySilent: true},
	}
}
