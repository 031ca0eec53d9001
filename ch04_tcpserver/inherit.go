// Handing listening sockets to a copy of the program started again: the seam chapter 5's
// ForkProcesses fills.
//
// Tornado 3.2 has no such thing and needs none: fork_processes calls os.fork(), the child is a
// copy of the parent at that instant, and the sockets bind_sockets made are open in it already.
// Go cannot fork a process that runs its runtime (the child would have only the calling thread),
// so chapter 5 executes the program again with the listening sockets inherited as descriptors (5,
// 6, and so on, after two pipes of its own). The child runs main from the top and so calls
// BindSockets and BindUnixSocket again, with the same arguments. Binding again would fail with
// EADDRINUSE, or get another port where port 0 was asked for, and BindUnixSocket would delete the
// parent's live socket file; the child adopts what it inherited instead. The contract:
//
//   - Every successful BindSockets or BindUnixSocket call records the sockets it returned as one
//     group, in the order of the calls. ListeningSockets gives the parent these groups: which
//     descriptors to pass, in which order. Nothing else is in them (neither the runtime's
//     descriptors nor a loop's), and a socket closed since is refused, not handed over: its
//     number may belong to another file by now.
//   - In the child, InheritSockets(groups) tells the package what was inherited. It must run
//     before the program's first bind, so from an init function: main binds before it forks.
//     Then the k-th successful call adopts the k-th group instead of binding, after checking it:
//     each descriptor is an open stream socket, listening (SO_ACCEPTCONN) and non-blocking; its
//     family and getsockname agree with the arguments (the addresses the name stands for, in
//     order; the port asked for, or with port 0 one port for the whole group; SO_REUSEPORT as
//     asked; a unix socket's path). A group that does not match is an error matching
//     ErrInheritedMismatch, naming the call, the group and what differs. Nothing is bound in its
//     place, and the group is left for the next call: a parent whose bind failed went on to its
//     next call, which made this group. Calls after the last group bind as usual (a child may
//     listen on ports of its own); groups no call adopts stay open, unused.
//   - Adopting changes nothing shared with the parent: a unix socket's file stays as it is, and
//     O_NONBLOCK, a flag of the open file that every process holding the socket sees, is checked
//     and never cleared. Only the descriptor's own close-on-exec flag, which exec cleared, is set
//     again by InheritSockets, so that the child's own subprocesses do not inherit the sockets.
//
// The program must therefore make the same binding calls in the same order before it forks; the
// checks turn most divergence into an error rather than a wrong socket. The calls are serialized,
// but calls from concurrent goroutines have no defined order: bind from one. ResetSocketHandoff
// forgets the record and the inherited groups, for tests.

package tcpserver

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sync"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

var (
	// ErrInheritedMismatch: a re-executed child's BindSockets or BindUnixSocket call found that
	// the socket group it was to adopt is not what its arguments ask for.
	ErrInheritedMismatch = errors.New("tcpserver: inherited socket does not match the call")
	// ErrRecordedSocketClosed: ListeningSockets found a socket BindSockets or BindUnixSocket made
	// closed, its descriptor gone or naming another file.
	ErrRecordedSocketClosed = errors.New("tcpserver: a recorded listening socket was closed")
)

// handoff is the record of the binding calls and the groups a child inherited. Its mutex also
// serializes the calls, so that the record's order is theirs.
var handoff struct {
	sync.Mutex
	made       []madeGroup
	inheriting bool    // InheritSockets has run
	inherited  [][]int // the k-th for the k-th call
}

// A madeGroup is what one call returned, with the call for the error messages.
type madeGroup struct {
	call    string
	sockets []socketID
}

// A socketID names a socket by descriptor and by the inode fstat(2) gives it, which belongs to
// the socket itself: a descriptor number reused for another file is told apart.
type socketID struct {
	fd       int
	dev, ino uint64
}

func identify(fd int) (socketID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return socketID{}, fmt.Errorf("tcpserver: fd %d: %w", fd, os.NewSyscallError("fstat", err))
	}
	return socketID{fd: fd, dev: uint64(st.Dev), ino: uint64(st.Ino)}, nil
}

// ListeningSockets lists the sockets BindSockets and BindUnixSocket have returned in this
// process, one group per call, in the order of the calls: what a parent passes to a child it
// executes, in that order. If one of them has been closed since, it returns an error matching
// ErrRecordedSocketClosed: the child would make the same call and expect the socket.
func ListeningSockets() ([][]int, error) {
	handoff.Lock()
	defer handoff.Unlock()
	groups := make([][]int, len(handoff.made))
	for k, g := range handoff.made {
		for _, s := range g.sockets {
			if now, err := identify(s.fd); err != nil || now != s {
				return nil, fmt.Errorf("%w: fd %d, made by %s (group %d), is closed or another file now",
					ErrRecordedSocketClosed, s.fd, g.call, k)
			}
			groups[k] = append(groups[k], s.fd)
		}
	}
	return groups, nil
}

// InheritSockets tells a child started by its parent's ForkProcesses which listening sockets it
// inherited, one group per call the parent made (its ListeningSockets), so that BindSockets and
// BindUnixSocket adopt them in order. It must run once, before the first of those calls. It makes
// every descriptor close-on-exec again; an error (a descriptor that is not open, an empty group)
// leaves nothing to adopt.
func InheritSockets(groups [][]int) error {
	handoff.Lock()
	defer handoff.Unlock()
	switch {
	case handoff.inheriting:
		return errors.New("tcpserver: InheritSockets called twice")
	case len(handoff.made) > 0:
		return fmt.Errorf("tcpserver: InheritSockets after %d binding calls, which bound anew",
			len(handoff.made))
	}
	inherited := make([][]int, len(groups))
	for k, g := range groups {
		if len(g) == 0 {
			return fmt.Errorf("tcpserver: inherited group %d is empty", k)
		}
		for _, fd := range g {
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
				return fmt.Errorf("tcpserver: inherited group %d: fd %d: %w", k, fd,
					os.NewSyscallError("fcntl FD_CLOEXEC", err))
			}
		}
		inherited[k] = slices.Clone(g)
	}
	handoff.inheriting, handoff.inherited = true, inherited
	return nil
}

// ResetSocketHandoff forgets the record of binding calls and the inherited groups not adopted
// yet, as if the process had just started. It closes nothing. Tests use it.
func ResetSocketHandoff() {
	handoff.Lock()
	defer handoff.Unlock()
	handoff.made, handoff.inheriting, handoff.inherited = nil, false, nil
}

// bindOrAdopt is one BindSockets or BindUnixSocket call, described by call: the inherited group
// left for it if check accepts it, otherwise what bind makes. Either way the sockets returned
// are recorded as the call's group.
func bindOrAdopt(call string, bind func() ([]int, error), check func(group []int) error) ([]int, error) {
	handoff.Lock()
	defer handoff.Unlock()
	k := len(handoff.made)
	adopting := k < len(handoff.inherited)
	var fds []int
	if adopting {
		if err := check(handoff.inherited[k]); err != nil {
			return nil, fmt.Errorf("%w: %s, adopting inherited group %d: %w", ErrInheritedMismatch, call, k, err)
		}
		fds = slices.Clone(handoff.inherited[k])
	} else {
		var err error
		if fds, err = bind(); err != nil {
			return nil, err
		}
	}
	ids := make([]socketID, len(fds))
	for i, fd := range fds {
		id, err := identify(fd)
		if err != nil {
			if !adopting {
				closeOpened(fds)
			}
			return nil, err
		}
		ids[i] = id
	}
	handoff.made = append(handoff.made, madeGroup{call: call, sockets: ids})
	return fds, nil
}

// checkListening says what, if anything, keeps fd from being adopted as a listening socket. It
// only reads: O_NONBLOCK in particular is the shared open file's, and a blocking one is refused,
// not changed.
func checkListening(fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("is not open: %w", os.NewSyscallError("fstat", err))
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return fmt.Errorf("is not a socket (mode %#o)", st.Mode)
	}
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return fmt.Errorf("is unreadable: %w", os.NewSyscallError("getsockopt SO_TYPE", err))
	}
	if typ != unix.SOCK_STREAM {
		return fmt.Errorf("is not a stream socket (SO_TYPE %d)", typ)
	}
	listening, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	if err != nil {
		return fmt.Errorf("is unreadable: %w", os.NewSyscallError("getsockopt SO_ACCEPTCONN", err))
	}
	if listening == 0 {
		return errors.New("is not listening (SO_ACCEPTCONN is 0)")
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return fmt.Errorf("is unreadable: %w", os.NewSyscallError("fcntl F_GETFL", err))
	}
	if fl&unix.O_NONBLOCK == 0 {
		return errors.New("is blocking (O_NONBLOCK is clear)")
	}
	return nil
}

// checkInheritedTCP checks a group against a BindSockets call that resolved to addrs: one
// socket per address at most, in the same order (an address the parent could not bind, such as
// an IPv6 loopback without IPv6, has none), on port or, for port 0, on one port for all.
func checkInheritedTCP(group []int, addrs []bindAddr, port uint16, reusePort bool) error {
	ips := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		ips[i] = a.ip
	}
	next := 0
	var groupPort uint16
	for i, fd := range group {
		ap, err := inheritedTCPAddr(fd, reusePort)
		if err != nil {
			return fmt.Errorf("socket %d (fd %d) %w", i, fd, err)
		}
		j := slices.Index(ips[next:], ap.Addr())
		switch {
		case j < 0 && slices.Contains(ips, ap.Addr()):
			return fmt.Errorf("socket %d (fd %d) is on %s, out of order or one too many; "+
				"the call makes one socket per address, in the order %v", i, fd, ap, ips)
		case j < 0 && ap.Addr().Is6():
			return fmt.Errorf("socket %d (fd %d) is an IPv6 socket on %s; the call asks for %v", i, fd, ap, ips)
		case j < 0:
			return fmt.Errorf("socket %d (fd %d) is an IPv4 socket on %s; the call asks for %v", i, fd, ap, ips)
		}
		next += j + 1
		switch {
		case port != 0 && ap.Port() != port:
			return fmt.Errorf("socket %d (fd %d) is on %s, not port %d", i, fd, ap, port)
		case i == 0:
			groupPort = ap.Port()
		case ap.Port() != groupPort:
			return fmt.Errorf("socket %d (fd %d) is on port %d and socket 0 on port %d; "+
				"BindSockets gives one port for the group", i, fd, ap.Port(), groupPort)
		}
	}
	return nil
}

// inheritedTCPAddr checks that fd is a listening TCP socket with SO_REUSEPORT as asked, and
// gives the address it is bound to.
func inheritedTCPAddr(fd int, reusePort bool) (netip.AddrPort, error) {
	if err := checkListening(fd); err != nil {
		return netip.AddrPort{}, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("is unreadable: %w", os.NewSyscallError("getsockname", err))
	}
	var ap netip.AddrPort
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		ap = netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		ap = netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	default:
		return netip.AddrPort{}, fmt.Errorf("is not a TCP socket: it is bound to %q", blocking.FormatAddr(sa))
	}
	// A kernel without SO_REUSEPORT cannot have set it: the getsockopt error means off.
	on, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT)
	if (err == nil && on != 0) != reusePort {
		return netip.AddrPort{}, fmt.Errorf("is on %s with SO_REUSEPORT %s, and the call asks for %s",
			ap, onOff(!reusePort), onOff(reusePort))
	}
	return ap, nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// checkInheritedUnix checks a group against a BindUnixSocket call for path: one listening unix
// socket bound to that path.
func checkInheritedUnix(group []int, path string) error {
	if len(group) != 1 {
		return fmt.Errorf("the group has %d sockets; BindUnixSocket makes one", len(group))
	}
	fd := group[0]
	if err := checkListening(fd); err != nil {
		return fmt.Errorf("socket 0 (fd %d) %w", fd, err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fmt.Errorf("socket 0 (fd %d) is unreadable: %w", fd, os.NewSyscallError("getsockname", err))
	}
	u, ok := sa.(*unix.SockaddrUnix)
	if !ok {
		return fmt.Errorf("socket 0 (fd %d) is not a unix socket: it is bound to %s", fd, blocking.FormatAddr(sa))
	}
	if u.Name != path {
		return fmt.Errorf("socket 0 (fd %d) is bound to %q, not %q", fd, u.Name, path)
	}
	return nil
}
