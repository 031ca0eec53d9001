// Addresses: "HOST:PORT" to a socket address and back, without the net package's resolver.

package blocking

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"
)

// SplitHostPort splits "HOST:PORT" into the host, as written, and the port, a number from 0 to
// 65535. net.SplitHostPort's error already names the address, so it is returned as it is.
func SplitHostPort(hostport string) (host string, port int, err error) {
	host, portText, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("address %q: port must be a number from 0 to 65535", hostport)
	}
	return host, int(n), nil
}

// ParseAddr turns "127.0.0.1:8888" or "[::1]:0" into a socket address and its family.
// The host must be a literal IP address: this chapter binds exactly one socket, so it does not
// resolve names (chapter 4's BindSockets does, as Tornado's bind_sockets does).
func ParseAddr(hostport string) (unix.Sockaddr, int, error) {
	host, port, err := SplitHostPort(hostport)
	if err != nil {
		return nil, 0, err
	}
	if host == "" {
		host = "0.0.0.0"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return nil, 0, fmt.Errorf("address %q: host %q is not an IP address (names are not "+
			"resolved here): use a literal such as 127.0.0.1 or ::1", hostport, host)
	}
	if ip.Zone() != "" {
		return nil, 0, fmt.Errorf("address %q: IPv6 zones (%%%s) are not supported: use an "+
			"address without one, such as ::1", hostport, ip.Zone())
	}
	if ip.Is4() || ip.Is4In6() {
		return &unix.SockaddrInet4{Port: port, Addr: ip.Unmap().As4()}, unix.AF_INET, nil
	}
	return &unix.SockaddrInet6{Port: port, Addr: ip.As16()}, unix.AF_INET6, nil
}

// FormatAddr is the inverse of ParseAddr: "127.0.0.1:8888", "[::1]:8888", or a unix socket path.
func FormatAddr(sa unix.Sockaddr) string {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)).String()
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port)).String()
	case *unix.SockaddrUnix:
		return a.Name
	}
	return fmt.Sprintf("%T", sa)
}

// LocalAddr is getsockname(2) formatted: the port the kernel chose when asked for port 0.
func LocalAddr(fd int) (string, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return "", wrap("getsockname", err)
	}
	return FormatAddr(sa), nil
}
