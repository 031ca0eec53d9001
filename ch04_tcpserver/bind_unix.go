// A listening unix-domain socket at a path in the file system. Mirrors tornado/netutil.py
// bind_unix_socket (3.2).

package tcpserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

// DefaultUnixSocketMode is the permission BindUnixSocket gives the socket file when asked for 0,
// Tornado's default: only the owner's processes may connect.
const DefaultUnixSocketMode fs.FileMode = 0o600

// ErrNotSocket: BindUnixSocket found a file at its path that is not a socket, and left it alone.
var ErrNotSocket = errors.New("tcpserver: file exists and is not a socket")

// BindUnixSocket listens on a unix-domain stream socket at path and returns its descriptor:
// non-blocking, close-on-exec, with the file's permissions set to mode (DefaultUnixSocketMode,
// 0o600, when mode is 0; connecting needs write permission on the file). backlog is as in
// BindSockets.
//
// A socket file left behind by an earlier run (nothing removes it when a server dies) is deleted
// first, or bind would fail with EADDRINUSE. Any other kind of file at path, a symbolic link
// included, is refused with an error matching ErrNotSocket and left as it was: a typo in a
// configuration must not delete someone's data.
//
// On Linux a path beginning with "@" names a socket in the abstract namespace, as in Go's net
// package: no file is made, so there is nothing to remove and no mode to set.
//
// The socket is recorded as BindSockets's are; in a child executed again with its parent's
// sockets (InheritSockets), the call adopts the inherited socket bound to path, and leaves the
// file, which is the parent's live socket, alone.
func BindUnixSocket(path string, mode fs.FileMode, backlog int) (int, error) {
	if mode == 0 {
		mode = DefaultUnixSocketMode
	}
	if backlog <= 0 {
		backlog = blocking.Backlog
	}
	fds, err := bindOrAdopt(fmt.Sprintf("BindUnixSocket(%q)", path),
		func() ([]int, error) {
			fd, err := bindUnix(path, mode, backlog)
			if err != nil {
				return nil, err
			}
			return []int{fd}, nil
		},
		func(group []int) error { return checkInheritedUnix(group, path) })
	if err != nil {
		return -1, err
	}
	return fds[0], nil
}

// bindUnix makes the socket and its file.
func bindUnix(path string, mode fs.FileMode, backlog int) (int, error) {
	inFileSystem := runtime.GOOS != "linux" || !strings.HasPrefix(path, "@")
	if inFileSystem {
		if err := removeStaleSocket(path); err != nil {
			return -1, err
		}
	}
	fd, err := unixSocket()
	if err != nil {
		return -1, fmt.Errorf("tcpserver: listen on %s: %w", path, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("tcpserver: listen on %s: %w", path, os.NewSyscallError("bind", err))
	}
	// The mode is set before listen: until then a client's connect is refused, so no one
	// slips in under the permissions the umask gave the new file.
	if inFileSystem {
		if err := os.Chmod(path, mode); err != nil {
			unix.Close(fd)
			os.Remove(path)
			return -1, fmt.Errorf("tcpserver: %w", err) // a *PathError: it names the path
		}
	}
	if err := unix.Listen(fd, backlog); err != nil {
		unix.Close(fd)
		if inFileSystem {
			os.Remove(path)
		}
		return -1, fmt.Errorf("tcpserver: listen on %s: %w", path, os.NewSyscallError("listen", err))
	}
	return fd, nil
}

// removeStaleSocket deletes the socket file at path, if there is one. Lstat, not Stat: a link
// to a socket is still a link, and not ours to delete.
func removeStaleSocket(path string) error {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("tcpserver: %w", err) // a *PathError: it names the path
	case info.Mode().Type() != fs.ModeSocket:
		return fmt.Errorf("%w: %s (mode %v)", ErrNotSocket, path, info.Mode())
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("tcpserver: remove stale socket: %w", err)
	}
	return nil
}

// unixSocket makes a non-blocking, close-on-exec unix stream socket. Chapter 1's Socket is for
// TCP only, so this one sets FD_CLOEXEC after socket(2), holding syscall.ForkLock as Go's net
// package does where SOCK_CLOEXEC is missing: a concurrent exec cannot copy the descriptor in
// between. It runs once per server, so the portable way costs nothing that matters.
func unixSocket() (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("fcntl O_NONBLOCK", err)
	}
	return fd, nil
}
