package tcpserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"tornadotcp/internal/testutil"
)

// bindTestSockets calls BindSockets and closes what it returns when the test ends.
func bindTestSockets(t *testing.T, port int, address string, family int, reusePort bool) []int {
	t.Helper()
	fds, err := BindSockets(port, address, family, 0, reusePort)
	if err != nil {
		t.Fatalf("BindSockets(%d, %q, %d): %v", port, address, family, err)
	}
	t.Cleanup(func() { closeOpened(fds) })
	return fds
}

// bindTestAddr is getsockname(2) as an address and port.
func bindTestAddr(t *testing.T, fd int) netip.AddrPort {
	t.Helper()
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	t.Fatalf("getsockname gave %T", sa)
	return netip.AddrPort{}
}

// bindTestIPv6 reports whether this machine can listen on ::1.
func bindTestIPv6(t *testing.T) bool {
	t.Helper()
	fds, err := BindSockets(0, "::1", unix.AF_INET6, 0, false)
	if err != nil {
		t.Logf("IPv6 loopback unavailable (%v): the IPv6 half of this test is not run", err)
		return false
	}
	closeOpened(fds)
	return true
}

// bindTestSockopt reads an integer socket option.
func bindTestSockopt(t *testing.T, fd, level, opt int, name string) int {
	t.Helper()
	v, err := unix.GetsockoptInt(fd, level, opt)
	if err != nil {
		t.Fatalf("getsockopt %s: %v", name, err)
	}
	return v
}

// descriptorFlagsError says what is wrong with fd's flags, if anything: it must be non-blocking
// and close-on-exec. It does not fail the test, so a loop callback may call it too.
func descriptorFlagsError(fd int) error {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return fmt.Errorf("fcntl F_GETFL: %w", err)
	}
	fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		return fmt.Errorf("fcntl F_GETFD: %w", err)
	}
	if fl&unix.O_NONBLOCK == 0 || fdfl&unix.FD_CLOEXEC == 0 {
		return fmt.Errorf("fd %d: O_NONBLOCK %v, FD_CLOEXEC %v; want both", fd, fl&unix.O_NONBLOCK != 0, fdfl&unix.FD_CLOEXEC != 0)
	}
	return nil
}

// checkDescriptorFlags checks that fd is non-blocking and close-on-exec.
func checkDescriptorFlags(t *testing.T, fd int) {
	t.Helper()
	if err := descriptorFlagsError(fd); err != nil {
		t.Error(err)
	}
}

// checkListener checks everything BindSockets promises about one TCP socket.
func checkListener(t *testing.T, fd int) {
	t.Helper()
	checkDescriptorFlags(t, fd)
	if bindTestSockopt(t, fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, "SO_REUSEADDR") == 0 {
		t.Errorf("fd %d lacks SO_REUSEADDR", fd)
	}
	if bindTestSockopt(t, fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN, "SO_ACCEPTCONN") == 0 {
		t.Errorf("fd %d is not listening", fd)
	}
	if bindTestAddr(t, fd).Addr().Is6() && bindTestSockopt(t, fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, "IPV6_V6ONLY") == 0 {
		t.Errorf("IPv6 fd %d lacks IPV6_V6ONLY", fd)
	}
}

// bindTestConnect checks that a client can connect to addr, then hangs up.
func bindTestConnect(t *testing.T, network, addr string) {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	c.Close()
}

func TestBindSocketsLoopbackPortZero(t *testing.T) {
	testutil.CheckLeaks(t)
	fds := bindTestSockets(t, 0, "127.0.0.1", unix.AF_UNSPEC, false)
	if len(fds) != 1 {
		t.Fatalf("got %d sockets, want 1", len(fds))
	}
	checkListener(t, fds[0])
	ap := bindTestAddr(t, fds[0])
	if ap.Addr() != netip.MustParseAddr("127.0.0.1") || ap.Port() == 0 {
		t.Fatalf("bound to %v, want 127.0.0.1 and a port the kernel chose", ap)
	}
	bindTestConnect(t, "tcp4", ap.String())
}

// "" is every interface: 0.0.0.0 and ::, two sockets (V6ONLY keeps them apart), one port.
func TestBindSocketsAllInterfacesSharePort(t *testing.T) {
	testutil.CheckLeaks(t)
	ipv6 := bindTestIPv6(t)
	fds := bindTestSockets(t, 0, "", unix.AF_UNSPEC, false)
	want := []string{"0.0.0.0"}
	if ipv6 {
		want = append(want, "::")
	}
	if len(fds) != len(want) {
		t.Fatalf("got %d sockets, want %d (%v)", len(fds), len(want), want)
	}
	port := bindTestAddr(t, fds[0]).Port()
	for i, fd := range fds {
		checkListener(t, fd)
		ap := bindTestAddr(t, fd)
		if ap.Addr().String() != want[i] || ap.Port() != port {
			t.Errorf("socket %d bound to %v, want %s port %d", i, ap, want[i], port)
		}
	}
	bindTestConnect(t, "tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if ipv6 {
		bindTestConnect(t, "tcp6", fmt.Sprintf("[::1]:%d", port))
	}
}

func TestBindSocketsFamilyNarrows(t *testing.T) {
	testutil.CheckLeaks(t)
	fds := bindTestSockets(t, 0, "", unix.AF_INET, false)
	if len(fds) != 1 || !bindTestAddr(t, fds[0]).Addr().Is4() {
		t.Errorf("AF_INET on \"\": got %d sockets, want one IPv4 socket", len(fds))
	}
	if bindTestIPv6(t) {
		fds := bindTestSockets(t, 0, "", unix.AF_INET6, false)
		if len(fds) != 1 || !bindTestAddr(t, fds[0]).Addr().Is6() {
			t.Errorf("AF_INET6 on \"\": got %d sockets, want one IPv6 socket", len(fds))
		}
	}
}

// "localhost" is resolved: one socket per address the resolver gives (here /etc/hosts decides
// whether ::1 is among them), all loopback, all on one port.
func TestBindSocketsLocalhost(t *testing.T) {
	testutil.CheckLeaks(t)
	resolved, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", "localhost")
	if err != nil {
		t.Fatalf("resolve localhost: %v", err)
	}
	ipv6 := bindTestIPv6(t)
	want := map[netip.Addr]bool{}
	for _, ip := range resolved {
		if ip = ip.Unmap(); ip.Is4() || ipv6 {
			want[ip] = true
		}
	}
	fds := bindTestSockets(t, 0, "localhost", unix.AF_UNSPEC, false)
	port := bindTestAddr(t, fds[0]).Port()
	got := map[netip.Addr]bool{}
	for _, fd := range fds {
		checkListener(t, fd)
		ap := bindTestAddr(t, fd)
		got[ap.Addr()] = true
		if !ap.Addr().IsLoopback() || ap.Port() != port {
			t.Errorf("bound to %v, want a loopback address on port %d", ap, port)
		}
	}
	if len(got) != len(fds) || len(got) != len(want) || !got[netip.MustParseAddr("127.0.0.1")] {
		t.Errorf("bound %v (%d sockets), want one socket for each of %v", got, len(fds), want)
	}
	t.Logf("localhost resolved to %v; bound %d sockets on port %d", resolved, len(fds), port)
}

func TestBindSocketsBadArguments(t *testing.T) {
	testutil.CheckLeaks(t)
	for _, tc := range []struct {
		name    string
		port    int
		address string
		family  int
		want    error // nil: any error
	}{
		{"name that cannot exist", 0, "no..such..host", unix.AF_UNSPEC, nil},
		{"address of no interface here", 0, "192.0.2.1", unix.AF_UNSPEC, unix.EADDRNOTAVAIL},
		{"IPv6 literal for AF_INET", 0, "::1", unix.AF_INET, ErrNoAddress},
		{"IPv4 literal for AF_INET6", 0, "127.0.0.1", unix.AF_INET6, ErrNoAddress},
		{"unknown family", 0, "", 99, ErrFamily},
		{"negative port", -1, "127.0.0.1", unix.AF_UNSPEC, nil},
		{"port above 65535", 65536, "127.0.0.1", unix.AF_UNSPEC, nil},
		{"IPv6 zone", 0, "::1%lo", unix.AF_UNSPEC, nil},
	} {
		fds, err := BindSockets(tc.port, tc.address, tc.family, 0, false)
		closeOpened(fds)
		switch {
		case err == nil:
			t.Errorf("%s: BindSockets(%d, %q, %d) = %v, want an error", tc.name, tc.port, tc.address, tc.family, fds)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: error %q does not match %q", tc.name, err, tc.want)
		case fds != nil:
			t.Errorf("%s: error %q came with descriptors %v", tc.name, err, fds)
		default:
			t.Logf("%s: %v", tc.name, err)
		}
	}
}

// A port that is taken on the second address: EADDRINUSE, and the socket already opened on the
// first address is closed, so that its port is free again.
func TestBindSocketsPortInUseLeaksNothing(t *testing.T) {
	testutil.CheckLeaks(t)
	if !bindTestIPv6(t) {
		taken := bindTestSockets(t, 0, "127.0.0.1", unix.AF_INET, false)
		port := int(bindTestAddr(t, taken[0]).Port())
		fds, err := BindSockets(port, "127.0.0.1", unix.AF_INET, 0, false)
		if !errors.Is(err, unix.EADDRINUSE) || fds != nil {
			t.Fatalf("BindSockets on a taken port = %v, %v; want EADDRINUSE", fds, err)
		}
		return
	}
	taken := bindTestSockets(t, 0, "::1", unix.AF_INET6, false)
	port := int(bindTestAddr(t, taken[0]).Port())
	// 0.0.0.0:port is free, so BindSockets opens it first, then fails on [::]:port.
	fds, err := BindSockets(port, "", unix.AF_UNSPEC, 0, false)
	if !errors.Is(err, unix.EADDRINUSE) || fds != nil {
		t.Fatalf("BindSockets on a port taken for IPv6 = %v, %v; want EADDRINUSE", fds, err)
	}
	t.Logf("error: %v", err)
	// The IPv4 socket was closed: its port can be bound again without SO_REUSEPORT.
	bindTestSockets(t, port, "0.0.0.0", unix.AF_INET, false)
}

// Port 0 on two addresses where the second can never have the first's port: the retries end,
// with EADDRINUSE, and each attempt closes what it opened.
func TestBindAllGivesUpOnTakenSharedPort(t *testing.T) {
	testutil.CheckLeaks(t)
	lo := bindAddr{ip: netip.MustParseAddr("127.0.0.1")}
	fds, err := bindAll([]bindAddr{lo, lo}, 0, 1, false)
	if !errors.Is(err, unix.EADDRINUSE) || fds != nil {
		t.Fatalf("bindAll = %v, %v; want EADDRINUSE after %d attempts", fds, err, portZeroAttempts)
	}
}

func TestBindSocketsReusePort(t *testing.T) {
	testutil.CheckLeaks(t)
	first, err := BindSockets(0, "127.0.0.1", unix.AF_INET, 0, true)
	if errors.Is(err, ErrReusePortUnsupported) {
		t.Skipf("this kernel has no SO_REUSEPORT: %v", err)
	}
	if err != nil {
		t.Fatalf("BindSockets with reusePort: %v", err)
	}
	t.Cleanup(func() { closeOpened(first) })
	port := int(bindTestAddr(t, first[0]).Port())

	second := bindTestSockets(t, port, "127.0.0.1", unix.AF_INET, true)
	for _, fd := range []int{first[0], second[0]} {
		checkListener(t, fd)
		if bindTestSockopt(t, fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, "SO_REUSEPORT") == 0 {
			t.Errorf("fd %d lacks SO_REUSEPORT", fd)
		}
	}
	if fds, err := BindSockets(port, "127.0.0.1", unix.AF_INET, 0, false); !errors.Is(err, unix.EADDRINUSE) {
		closeOpened(fds)
		t.Errorf("a third socket without reusePort: %v, want EADDRINUSE", err)
	}
}

// bindTestUnixPath is a socket path in a fresh directory.
func bindTestUnixPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "sock")
}

// bindTestUnix calls BindUnixSocket and closes the socket when the test ends.
func bindTestUnix(t *testing.T, path string, mode os.FileMode) int {
	t.Helper()
	fd, err := BindUnixSocket(path, mode, 0)
	if err != nil {
		t.Fatalf("BindUnixSocket(%q): %v", path, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func TestBindUnixSocketListens(t *testing.T) {
	testutil.CheckLeaks(t)
	path := bindTestUnixPath(t)
	fd := bindTestUnix(t, path, 0)
	checkDescriptorFlags(t, fd)
	if bindTestSockopt(t, fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN, "SO_ACCEPTCONN") == 0 {
		t.Errorf("fd %d is not listening", fd)
	}
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Type() != os.ModeSocket || info.Mode().Perm() != DefaultUnixSocketMode {
		t.Errorf("socket file mode %v, want a socket with %v", info.Mode(), DefaultUnixSocketMode)
	}
	bindTestConnect(t, "unix", path)
}

func TestBindUnixSocketMode(t *testing.T) {
	testutil.CheckLeaks(t)
	path := bindTestUnixPath(t)
	bindTestUnix(t, path, 0o660)
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o660 {
		t.Errorf("socket file mode %v, want 0660", info.Mode().Perm())
	}
}

// A socket file left by a server that died is replaced: the new server binds and serves.
func TestBindUnixSocketReplacesStaleSocket(t *testing.T) {
	testutil.CheckLeaks(t)
	path := bindTestUnixPath(t)
	old, err := BindUnixSocket(path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(old) // the file stays behind, as after a crash
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the stale socket file is gone before the test: %v", err)
	}
	bindTestUnix(t, path, 0)
	bindTestConnect(t, "unix", path)
}

// Anything but a socket at the path is refused and left exactly as it was.
func TestBindUnixSocketRefusesOtherFiles(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	regular := filepath.Join(dir, "data")
	if err := os.WriteFile(regular, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A link to a live socket is still a link, not a stale socket of ours.
	target := filepath.Join(dir, "target")
	bindTestUnix(t, target, 0)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{regular, link, dir} {
		fd, err := BindUnixSocket(path, 0, 0)
		if err == nil {
			unix.Close(fd)
			t.Errorf("BindUnixSocket(%q) succeeded, want ErrNotSocket", path)
			continue
		}
		if !errors.Is(err, ErrNotSocket) {
			t.Errorf("BindUnixSocket(%q): %v, want ErrNotSocket", path, err)
		}
		t.Logf("%v", err)
	}
	if data, err := os.ReadFile(regular); err != nil || string(data) != "precious" {
		t.Errorf("regular file now holds %q (%v), want it untouched", data, err)
	}
	if dest, err := os.Readlink(link); err != nil || dest != target {
		t.Errorf("link now points to %q (%v), want it untouched", dest, err)
	}
	bindTestConnect(t, "unix", target)
}

// A path that cannot be looked up is an error that names it once: the *PathError says which
// path and which call, and the package prefix is not repeated.
func TestBindUnixSocketPathErrorNamedOnce(t *testing.T) {
	testutil.CheckLeaks(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(file, "sock") // a file used as a directory: ENOTDIR
	fd, err := BindUnixSocket(path, 0, 0)
	if err == nil {
		unix.Close(fd)
		t.Fatalf("BindUnixSocket(%q) succeeded", path)
	}
	want := "tcpserver: lstat " + path + ": not a directory"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// On Linux "@name" is the abstract namespace: no file to remove or chmod.
func TestBindUnixSocketAbstract(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the abstract socket namespace is Linux's")
	}
	testutil.CheckLeaks(t)
	name := fmt.Sprintf("@tornadotcp-test-%d", os.Getpid())
	bindTestUnix(t, name, 0)
	bindTestConnect(t, "unix", name)
}
