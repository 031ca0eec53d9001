// recv(2) and send(2) for descriptors that never block, without the Go runtime's bookkeeping
// for system calls that might.

package nonblocking

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// nonblockingRead is recv(2) through unix.RawSyscall6. unix.Read goes through Syscall, which
// tells the scheduler "this thread may block now": the runtime marks the thread's P as in a
// system call, and its monitor thread (sysmon) keeps waking to take such Ps back for other
// goroutines. A read on a non-blocking socket returns in a microsecond, so that work is waste:
// measured on a 2-core machine with the server pinned to one CPU and 100 clients in ping-pong,
// sysmon used about 16% of a CPU and the echo server's CPU per message fell from 17.5 to 11.8 µs
// once the calls went raw (chapter 3 of the book). Safe only because these descriptors never
// block: a raw call that blocked would stall its P and every goroutine waiting for it.
//
// It is recv, which Linux implements as recvfrom with no address, and not read(2): read goes
// through the file layer first (vfs_read, the file-position lock, the permission hooks) before it
// reaches the socket, and perf put that detour at about 5% of a busy loop's CPU. A descriptor that
// is not a socket (a pipe, in tests) answers ENOTSOCK and is read with read(2) instead.
func nonblockingRead(fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(ptr), uintptr(len(p)),
		0, 0, 0)
	if errno == unix.ENOTSOCK {
		n, _, errno = unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// nonblockingWrite is send(2) through unix.RawSyscall6, for the same reasons as nonblockingRead,
// with MSG_NOSIGNAL: a send to a peer that has gone fails with EPIPE without the kernel raising
// SIGPIPE, which the Go runtime would otherwise have to field and ignore. A descriptor that is
// not a socket is written with write(2).
func nonblockingWrite(fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(ptr), uintptr(len(p)),
		unix.MSG_NOSIGNAL, 0, 0)
	if errno == unix.ENOTSOCK {
		n, _, errno = unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
