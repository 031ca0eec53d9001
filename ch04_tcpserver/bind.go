// Listening TCP sockets for a port on every address a name stands for. Mirrors
// tornado/netutil.py bind_sockets (3.2), with two fixes from Tornado's later versions: one port
// number for IPv4 and IPv6 when port 0 is asked for (4.0, PR #977), and the reuse_port option
// (4.3).

package tcpserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

var (
	// ErrFamily: BindSockets was given a family other than AF_UNSPEC, AF_INET and AF_INET6.
	ErrFamily = errors.New("tcpserver: family must be AF_UNSPEC, AF_INET or AF_INET6")
	// ErrNoAddress: the address stands for nothing this machine can listen on in that family.
	ErrNoAddress = errors.New("tcpserver: no address to listen on")
	// ErrReusePortUnsupported: reusePort was asked for and the kernel has no SO_REUSEPORT. It
	// always comes wrapped in "tcpserver: listen on ADDR: ", so it has no prefix of its own.
	ErrReusePortUnsupported = errors.New("SO_REUSEPORT is not supported by this system")
)

// portZeroAttempts bounds the retries of BindSockets when port 0 was asked for and the port the
// kernel picked for the first address is already taken on a later one (see bindAll).
const portZeroAttempts = 5

// BindSockets opens one listening socket per address that address stands for, all on port, and
// returns their descriptors. It is the first step of every server (Tornado's TCPServer.listen
// is bind_sockets followed by add_sockets).
//
// address is resolved the way getaddrinfo(3) does with AI_PASSIVE: "" means every interface
// (0.0.0.0 and ::), a literal IP address means itself, and a name means every address the
// resolver (net.DefaultResolver: /etc/hosts, then DNS) gives for it, so "localhost" may give
// 127.0.0.1 and ::1. family narrows this to unix.AF_INET or unix.AF_INET6; unix.AF_UNSPEC (0)
// takes both. backlog is listen(2)'s queue length, blocking.Backlog (128) when 0 or less.
//
// Each socket is close-on-exec, non-blocking, SO_REUSEADDR (a restarted server binds again while
// old connections sit in TIME_WAIT) and, on IPv6, IPV6_V6ONLY: Linux would otherwise let [::]
// take IPv4 too, and the 0.0.0.0 socket could not bind beside it. reusePort adds SO_REUSEPORT, so
// that several processes can each bind the same port and the kernel spreads connections among
// them; where the kernel lacks it the error matches ErrReusePortUnsupported.
//
// Port 0 lets the kernel choose: the first socket (IPv4 comes first) gets a free port and the
// others are bound to that same one, so that a client reaches the server on either family; if
// that port is taken on the other family, everything is closed and tried again with a new one,
// a few times. Tornado 3.2 gave each family its own random port.
//
// An address family this kernel lacks (socket(2) says EAFNOSUPPORT) is skipped, as is an IPv6
// loopback address a name resolved to when the host has IPv6 switched off (EADDRNOTAVAIL; Docker
// often lists ::1 in /etc/hosts without configuring it). On any other error, every socket opened
// so far is closed and the error, matching its errno (errors.Is(err, unix.EADDRINUSE)), is
// returned. Resolving a name may block while DNS answers, as getaddrinfo does in Tornado: bind
// before starting the loop.
//
// The sockets are recorded for a parent that hands them to a child it executes again
// (ListeningSockets); in such a child (InheritSockets), the call adopts the group it inherited,
// after checking it against the arguments, instead of binding.
func BindSockets(port int, address string, family int, backlog int, reusePort bool) ([]int, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("tcpserver: port %d is not in the range 0 to 65535", port)
	}
	if backlog <= 0 {
		backlog = blocking.Backlog
	}
	addrs, err := resolveBindAddrs(address, family)
	if err != nil {
		return nil, err
	}
	return bindOrAdopt(fmt.Sprintf("BindSockets(%d, %q)", port, address),
		func() ([]int, error) { return bindAll(addrs, uint16(port), backlog, reusePort) },
		func(group []int) error { return checkInheritedTCP(group, addrs, uint16(port), reusePort) })
}

// A bindAddr is one address to listen on and whether a name resolved to it (rather than the
// caller writing it out), which decides whether an unusable IPv6 loopback may be skipped.
type bindAddr struct {
	ip       netip.Addr
	fromName bool
}

// resolveBindAddrs turns address into the distinct addresses of family to bind, IPv4 first.
func resolveBindAddrs(address string, family int) ([]bindAddr, error) {
	var network string
	switch family {
	case unix.AF_UNSPEC:
		network = "ip"
	case unix.AF_INET:
		network = "ip4"
	case unix.AF_INET6:
		network = "ip6"
	default:
		return nil, fmt.Errorf("%w, not %d", ErrFamily, family)
	}
	var ips []netip.Addr
	fromName := false
	if ip, err := netip.ParseAddr(address); err == nil {
		ips = []netip.Addr{ip}
	} else if address == "" {
		ips = []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	} else {
		ips, err = net.DefaultResolver.LookupNetIP(context.Background(), network, address)
		if err != nil {
			return nil, fmt.Errorf("tcpserver: resolve %q: %w", address, err)
		}
		fromName = true
	}

	// The resolver writes IPv4 answers as ::ffff:a.b.c.d; those are IPv4 addresses to bind.
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	ips = slices.DeleteFunc(ips, func(ip netip.Addr) bool {
		return family == unix.AF_INET && !ip.Is4() || family == unix.AF_INET6 && !ip.Is6()
	})
	if len(ips) == 0 {
		return nil, fmt.Errorf("%w: %q has no %s address", ErrNoAddress, address, network)
	}
	// Compare puts IPv4 before IPv6, which bindAll relies on for port 0; sorting also brings
	// duplicates together (a resolver may list an address twice) so Compact drops them.
	slices.SortFunc(ips, netip.Addr.Compare)
	ips = slices.Compact(ips)

	addrs := make([]bindAddr, len(ips))
	for i, ip := range ips {
		addrs[i] = bindAddr{ip: ip, fromName: fromName}
	}
	return addrs, nil
}

// bindAll listens on every address, retrying a few times when port 0 picked a port that a later
// address cannot have.
func bindAll(addrs []bindAddr, port uint16, backlog int, reusePort bool) ([]int, error) {
	for attempt := 1; ; attempt++ {
		fds, sharedPortTaken, err := bindEach(addrs, port, backlog, reusePort)
		if !sharedPortTaken || attempt == portZeroAttempts {
			return fds, err
		}
	}
}

// bindEach listens on every address once. With port 0, the port the first socket gets is reused
// for the rest; sharedPortTaken reports that this reused port was in use on a later address,
// which a new attempt may avoid.
func bindEach(addrs []bindAddr, port uint16, backlog int, reusePort bool) (fds []int, sharedPortTaken bool, err error) {
	var skipped error
	next := port
	for _, a := range addrs {
		fd, err := listenTCP(netip.AddrPortFrom(a.ip, next), backlog, reusePort)
		if skippable(a, err) {
			skipped = err
			continue
		}
		if err == nil && next == 0 {
			next, err = boundPort(fd)
			if err != nil {
				unix.Close(fd)
			}
		}
		if err != nil {
			closeOpened(fds)
			return nil, port == 0 && next != 0 && errors.Is(err, unix.EADDRINUSE), err
		}
		fds = append(fds, fd)
	}
	if len(fds) == 0 {
		return nil, false, fmt.Errorf("%w: %w", ErrNoAddress, skipped)
	}
	return fds, false, nil
}

// skippable reports the failures that mean "this machine has no such network", not "this
// server cannot start".
func skippable(a bindAddr, err error) bool {
	switch {
	case errors.Is(err, unix.EAFNOSUPPORT):
		return true
	case errors.Is(err, unix.EADDRNOTAVAIL):
		return a.fromName && a.ip.Is6() && a.ip.IsLoopback()
	}
	return false
}

// listenTCP makes one listening socket. The socket address comes from chapter 1's ParseAddr, so
// there is one way in the project to turn an address into a sockaddr.
func listenTCP(ap netip.AddrPort, backlog int, reusePort bool) (int, error) {
	sa, family, err := blocking.ParseAddr(ap.String())
	if err != nil {
		return -1, fmt.Errorf("tcpserver: %w", err)
	}
	fd, err := blocking.Socket(family)
	if err != nil {
		return -1, fmt.Errorf("tcpserver: listen on %s: %w", ap, err)
	}
	if err := prepareListener(fd, family, sa, backlog, reusePort); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("tcpserver: listen on %s: %w", ap, err)
	}
	return fd, nil
}

func prepareListener(fd, family int, sa unix.Sockaddr, backlog int, reusePort bool) error {
	if err := blocking.SetListenerOptions(fd, family); err != nil {
		return err
	}
	if reusePort {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			if errors.Is(err, unix.ENOPROTOOPT) || errors.Is(err, unix.EINVAL) {
				return fmt.Errorf("%w: %w", ErrReusePortUnsupported, os.NewSyscallError("setsockopt SO_REUSEPORT", err))
			}
			return os.NewSyscallError("setsockopt SO_REUSEPORT", err)
		}
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		return os.NewSyscallError("fcntl O_NONBLOCK", err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return os.NewSyscallError("listen", err)
	}
	return nil
}

// boundPort is the port the kernel gave a socket bound to port 0.
func boundPort(fd int) (uint16, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, fmt.Errorf("tcpserver: %w", os.NewSyscallError("getsockname", err))
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return uint16(a.Port), nil
	case *unix.SockaddrInet6:
		return uint16(a.Port), nil
	}
	return 0, fmt.Errorf("tcpserver: getsockname gave a %T, not an IP address", sa)
}

// closeOpened closes descriptors opened by a call that is failing; their close errors add
// nothing to the error being returned.
func closeOpened(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
