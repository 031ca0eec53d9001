// The calling thread's id, for Current.

package ioloop

import "golang.org/x/sys/unix"

// threadID returns the kernel's id for the calling OS thread; exact is true.
func threadID() (tid int, exact bool) { return unix.Gettid(), true }
