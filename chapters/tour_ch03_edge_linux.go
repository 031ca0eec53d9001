// The partial reader of chapter 3's level- against edge-triggered demonstration, on Linux's
// epoll, both ways.

package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	ioloop "tornadotcp/ch03_epoll"
)

// partialReader writes firstSent into one end of a socketpair, lets the other end's reader take
// takeBytes of it, and asks the monitor again; edge-triggered, it then writes moreSent and drains.
func partialReader(edge bool) (triggerRun, error) {
	r := triggerRun{Sent: firstSent}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return r, os.NewSyscallError("socketpair", err)
	}
	defer unix.Close(pair[0])
	defer unix.Close(pair[1])
	reader, peer := pair[0], pair[1]
	p, err := ioloop.NewEpoll(edge)
	if err != nil {
		return r, err
	}
	defer p.Close()
	if err := p.Register(reader, ioloop.READ); err != nil {
		return r, err
	}

	if err := send(peer, firstSent); err != nil {
		return r, err
	}
	if r.First, _, err = readiness(p, reader, time.Second); err != nil {
		return r, err
	}
	if r.First != ioloop.READ {
		return r, fmt.Errorf("%q written: events %#x, want READ", firstSent, r.First)
	}
	buf := make([]byte, takeBytes)
	if r.Took, err = unix.Read(reader, buf); err != nil {
		return r, os.NewSyscallError("read", err)
	}
	if r.Again, r.Asked, err = readiness(p, reader, askAgain); err != nil || !edge {
		return r, err
	}

	r.More = moreSent
	if err := send(peer, moreSent); err != nil {
		return r, err
	}
	if r.AfterMore, _, err = readiness(p, reader, time.Second); err != nil {
		return r, err
	}
	r.Drained, err = readAll(reader)
	return r, err
}

// readiness waits up to timeout for the monitor to report fd, and returns its events (NONE if
// it said nothing) and how long that took. A wait cut short by a signal is asked again.
func readiness(p ioloop.Poller, fd int, timeout time.Duration) (uint32, time.Duration, error) {
	events := make([]ioloop.Event, 4)
	start := time.Now()
	for {
		left := timeout - time.Since(start)
		if left <= 0 {
			return ioloop.NONE, time.Since(start), nil
		}
		n, err := p.Wait(events, left)
		if err != nil {
			return ioloop.NONE, time.Since(start), err
		}
		for _, ev := range events[:n] {
			if ev.FD == fd {
				return ev.Events, time.Since(start), nil
			}
		}
	}
}

func send(fd int, s string) error {
	if _, err := unix.Write(fd, []byte(s)); err != nil {
		return os.NewSyscallError("write", err)
	}
	return nil
}

// readAll reads fd until EAGAIN, as an edge-triggered reader must.
func readAll(fd int) (string, error) {
	var got []byte
	buf := make([]byte, 64)
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case errors.Is(err, unix.EAGAIN):
			return string(got), nil
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return string(got), os.NewSyscallError("read", err)
		case n == 0:
			return string(got), nil
		}
		got = append(got, buf[:n]...)
	}
}
