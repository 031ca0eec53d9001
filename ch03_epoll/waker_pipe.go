//go:build unix

// The portable waker: chapter 2's self-pipe, as in tornado/platform/posix.py (3.2). It is the
// default where there is no eventfd, and it is built on Linux too so its test runs.

package ioloop

import nonblocking "tornadotcp/ch02_nonblocking"

// pipeWaker fits chapter 2's Waker to the loop's waker interface.
type pipeWaker struct{ p *nonblocking.Waker }

func newPipeWaker() (waker, error) {
	p, err := nonblocking.NewWaker()
	if err != nil {
		return nil, err
	}
	return pipeWaker{p}, nil
}

func (w pipeWaker) fd() int      { return w.p.FD() }
func (w pipeWaker) wake()        { w.p.Wake() }
func (w pipeWaker) consume()     { w.p.Drain() }
func (w pipeWaker) close() error { return w.p.Close() }
