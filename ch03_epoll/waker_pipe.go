//go:build unix

// The portable waker: a non-blocking, close-on-exec pipe, as in tornado/platform/posix.py (3.2).
// It is the default where there is no eventfd, and it is built on Linux too so its test runs.

package ioloop

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

type pipeWaker struct{ r, w int }

// newPipeWaker makes the pipe. pipe2 with O_CLOEXEC is missing on macOS, so the flags are set
// after pipe(2), under syscall.ForkLock so that no fork in between copies the descriptors.
func newPipeWaker() (*pipeWaker, error) {
	var p [2]int
	syscall.ForkLock.RLock()
	err := unix.Pipe(p[:])
	if err == nil {
		unix.CloseOnExec(p[0])
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, os.NewSyscallError("pipe", err)
	}
	w := &pipeWaker{r: p[0], w: p[1]}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			w.close()
			return nil, os.NewSyscallError("fcntl O_NONBLOCK", err)
		}
	}
	return w, nil
}

func (w *pipeWaker) fd() int { return w.r }

// wake writes one byte. A full pipe (EAGAIN) means the loop has plenty to read already.
func (w *pipeWaker) wake() { unix.Write(w.w, []byte{'x'}) }

// consume reads until the pipe is empty (EAGAIN).
func (w *pipeWaker) consume() {
	var buf [256]byte
	for {
		n, err := unix.Read(w.r, buf[:])
		if n <= 0 && !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

func (w *pipeWaker) close() error {
	return errors.Join(
		os.NewSyscallError("close", unix.Close(w.r)),
		os.NewSyscallError("close", unix.Close(w.w)))
}
