//go:build darwin || freebsd || netbsd || openbsd || dragonfly

// On macOS and the BSDs the tests run on kqueue and on poll(2).

package ioloop

func testBackends() []backend {
	return []backend{
		{name: "kqueue", new: func() (Poller, error) { return NewKqueue() }},
		{name: "poll", new: func() (Poller, error) { return NewPoll(), nil }, hangupIsError: true, errorOnlySilent: true},
	}
}
