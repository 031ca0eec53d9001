//go:build unix && !linux

// Where there is no eventfd, the loop's waker is the pipe.

package ioloop

func newWaker() (waker, error) { return newPipeWaker() }
