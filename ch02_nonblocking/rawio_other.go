//go:build unix && !linux

// Elsewhere read(2) and write(2) go through x/sys as usual: Darwin's system-call numbers are not
// a stable interface (its libc is), and the BSDs are compiled here, not measured.

package nonblocking

import "golang.org/x/sys/unix"

func nonblockingRead(fd int, p []byte) (int, error) { return unix.Read(fd, p) }

func nonblockingWrite(fd int, p []byte) (int, error) { return unix.Write(fd, p) }
