// Chapter 5's servers: the tutorial's three ways to start a TCPServer ("TCPServer的三种形式"),
// and the SO_REUSEPORT way Tornado advises since 6.2. Each serves the echo protocol with
// chapter 4's EchoServer, plus "whoami" and "burn N" (process.Answer), and "accepts" for the
// bench.

package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	process "tornadotcp/ch05_processes"
)

func init() {
	register(
		withOptions(Entry{
			ID: "ch05/listen",
			Summary: "form 1 of the tutorial: TCPServer.Listen and the loop, one process; echoes, " +
				"and answers whoami and burn N",
		}, listenForm1),
		withOptions(Entry{
			ID: "ch05/bind-start",
			Summary: "form 2: Bind, then Start(n), which forks -procs N children (default one per CPU) " +
				"sharing the socket; whoami says which child served you",
			Procs: true,
		}, listenBindStart),
		withOptions(Entry{
			ID: "ch05/add-sockets",
			Summary: "form 3: BindSockets, ForkProcesses(-procs N), then AddSockets in each child " +
				"(default one per CPU)",
			Procs: true,
		}, listenAddSockets),
		withOptions(Entry{
			ID: "ch05/reuseport",
			Summary: "Tornado's later advice: -procs N processes, each with a socket of its own on " +
				"one port (SO_REUSEPORT), the kernel spreading connections",
			Procs: true,
		}, listenReusePort),
	)
}

// newEcho is the chapter's echo server: chapter 4's, answering whoami and burn N, with o's idle
// timeout, on loop (nil: chosen when sockets are added, as Tornado's start does after a fork).
func newEcho(o Options, loop *ioloop.IOLoop) *tcpserver.EchoServer {
	opts := o.timeouts()
	if loop != nil {
		opts = append(opts, tcpserver.WithIOLoop(loop))
	}
	e := tcpserver.NewEchoServer(opts...)
	e.Answer = answer
	return e
}

// answer is process.Answer plus one line for the bench: "accepts" answers this process's accept
// totals, "accepts events=E accepted=A eagain=W pid=P", from which `chapters bench` counts the
// thundering herd over the children (internal/bench/spread.go).
func answer(line []byte) ([]byte, bool) {
	if string(bytes.TrimRight(line, "\r\n")) != "accepts" {
		return process.Answer(line)
	}
	c := tcpserver.ReadAcceptCounts()
	return fmt.Appendf(nil, "accepts events=%d accepted=%d eagain=%d pid=%d\n", c.Events, c.Accepted, c.WouldBlock, os.Getpid()), true
}

// serving is a runner for a server already accepting on its loop, or an error that leaves
// nothing open.
func serving(srv loopServer, loop *ioloop.IOLoop, err error) (Server, error) {
	if err == nil && len(srv.Addrs()) == 0 {
		err = tcpserver.ErrNoAddress
	}
	if err != nil {
		srv.Stop()
		if loop != nil {
			loop.Close()
		}
		return nil, err
	}
	process.Ready() // in a child, tells the parent it serves
	return &runner{loop: loop, srv: srv, addr: srv.Addrs()[0]}, nil
}

// listenForm1 is ch05/listen: Listen, one process (chapter 4's runner).
func listenForm1(hostport string, o Options) (*runner, error) {
	if err := o.idleOnly("ch05/listen"); err != nil {
		return nil, err
	}
	return newRunner(hostport, func(loop *ioloop.IOLoop) loopServer { return newEcho(o, loop) })
}

// splitOptions checks o for server id (an idle timeout and a process count, nothing else) and
// splits hostport.
func splitOptions(id, hostport string, o Options) (host string, port int, err error) {
	if err := o.idleOnly(id); err != nil {
		return "", 0, err
	}
	return blocking.SplitHostPort(hostport)
}

// listenBindStart is ch05/bind-start: Bind, then Start(procs) (bindStart).
func listenBindStart(hostport string, o Options) (Server, error) {
	host, port, err := splitOptions("ch05/bind-start", hostport, o)
	if err != nil {
		return nil, err
	}
	return bindStart("ch05/bind-start", host, port, o, func(loop *ioloop.IOLoop) (loopServer, *tcpserver.TCPServer) {
		e := newEcho(o, loop)
		return e, e.TCPServer
	}, nil)
}

// bindStart is form 2 for server id, any chapter 4 server newServer makes on a loop (nil: the
// one Start chooses after the fork): Bind, then Start(o.Procs). In the parent, Serve forks; in
// a child, Bind adopts the inherited socket and Start returns at once, so the child serves.
// With o.Procs 1 Start does not fork (Tornado's rule) and this process serves. cleanup, if
// not nil, runs once everything is closed and every child is gone.
func bindStart(id, host string, port int, o Options, newServer func(*ioloop.IOLoop) (loopServer, *tcpserver.TCPServer),
	cleanup func()) (Server, error) {
	_, child := process.TaskID()
	var loop *ioloop.IOLoop
	if o.Procs == 1 {
		// Not forking, in a process that may run other servers: a loop of its own rather
		// than the process's singleton, which would forbid every later fork.
		var err error
		if loop, err = ioloop.New(); err != nil {
			return nil, err
		}
	}
	served, tcp := newServer(loop)
	srv := &process.TCPServer{TCPServer: tcp}
	if err := srv.Bind(port, host, unix.AF_UNSPEC, 0, false); err != nil {
		if loop != nil {
			loop.Close()
		}
		return nil, err
	}
	if child || o.Procs == 1 {
		_, err := srv.StartSupervised(o.Procs)
		if loop == nil && err == nil {
			loop, err = ioloop.Current() // the one Start chose, after the fork
		}
		s, err := serving(served, loop, err)
		if r, ok := s.(*runner); ok {
			r.cleanup = cleanup
		}
		return s, err
	}
	addrs := srv.Addrs()
	if len(addrs) == 0 {
		srv.Stop()
		return nil, tcpserver.ErrNoAddress
	}
	m := &supervised{addr: addrs[0], cleanup: cleanup}
	m.start = func() (*process.Supervisor, error) {
		return srv.StartSupervised(o.Procs, childEnvFor(id, host, m.addr, o))
	}
	// The sockets Bind made, closed as they are rather than with srv.Stop: the server's
	// methods belong to one goroutine, and Stop may come from another while Serve forks.
	pending := srv.PendingSockets()
	m.release = func() error { closeAll(pending); return nil }
	return m, nil
}

// listenAddSockets is ch05/add-sockets: BindSockets, ForkProcesses, AddSockets in each child.
// Fork with -procs 1 forks one supervised child, as Tornado's fork_processes(1) does.
func listenAddSockets(hostport string, o Options) (Server, error) {
	host, port, err := splitOptions("ch05/add-sockets", hostport, o)
	if err != nil {
		return nil, err
	}
	fds, err := tcpserver.BindSockets(port, host, unix.AF_UNSPEC, 0, false)
	if err != nil {
		return nil, err
	}
	if _, child := process.TaskID(); child {
		return serveInChild(o, fds)
	}
	addr, err := blocking.LocalAddr(fds[0])
	if err != nil {
		closeAll(fds)
		return nil, err
	}
	m := &supervised{addr: addr}
	m.start = func() (*process.Supervisor, error) {
		_, sup, err := process.Fork(o.Procs, process.DefaultMaxRestarts,
			process.WithSockets([][]int{fds}), childEnvFor("ch05/add-sockets", host, addr, o))
		return sup, err
	}
	m.release = func() error { closeAll(fds); return nil }
	return m, nil
}

// serveInChild is the child's half of forms 3 and 4: ForkProcesses returns the task id, and the
// server accepts on fds, on the loop it chooses now, after the fork.
func serveInChild(o Options, fds []int) (Server, error) {
	echo := newEcho(o, nil)
	_, _, err := process.Fork(o.Procs, process.DefaultMaxRestarts)
	if err == nil {
		err = echo.AddSockets(fds)
	}
	var loop *ioloop.IOLoop
	if err == nil {
		loop, err = ioloop.Current()
	}
	if err != nil {
		closeAll(fds)
	}
	return serving(echo, loop, err)
}

// listenReusePort is ch05/reuseport: each child binds a listening socket of its own with
// SO_REUSEPORT on the same port, and the kernel spreads connections over them. The parent
// listens on nothing: it reserves the port with sockets bound (SO_REUSEPORT) but not
// listening, which join no group and take no connection, and hands no socket down.
func listenReusePort(hostport string, o Options) (Server, error) {
	host, port, err := splitOptions("ch05/reuseport", hostport, o)
	if err != nil {
		return nil, err
	}
	if _, child := process.TaskID(); child {
		// Fork before binding: the socket is this child's alone, as in Tornado's test.
		echo := newEcho(o, nil)
		if _, _, err := process.Fork(o.Procs, process.DefaultMaxRestarts); err != nil {
			return nil, err
		}
		fds, err := tcpserver.BindSockets(port, host, unix.AF_UNSPEC, 0, true)
		if err != nil {
			return nil, err
		}
		if err = echo.AddSockets(fds); err != nil {
			closeAll(fds)
			return nil, err
		}
		loop, err := ioloop.Current()
		return serving(echo, loop, err)
	}
	held, addr, err := reservePort(host, port)
	if err != nil {
		return nil, err
	}
	// The children start now, not in Serve, and the parent waits until each has its socket
	// listening: nothing listens on the port before, and whoever reads the listening line
	// may connect at once.
	_, sup, err := process.Fork(o.Procs, process.DefaultMaxRestarts, childEnvFor("ch05/reuseport", host, addr, o))
	if err != nil {
		closeAll(held)
		return nil, err
	}
	select {
	case <-sup.Ready():
	case <-sup.Done():
		closeAll(held)
		return nil, fmt.Errorf("ch05/reuseport: the children ended before they listened: %w", sup.Wait())
	case <-time.After(childrenStartTimeout):
		sup.Stop(syscall.SIGKILL, 0)
		closeAll(held)
		return nil, fmt.Errorf("ch05/reuseport: the children did not listen within %v", childrenStartTimeout)
	}
	m := &supervised{addr: addr, sup: sup}
	m.start = func() (*process.Supervisor, error) { return sup, nil }
	m.release = func() error { closeAll(held); return nil }
	return m, nil
}

// childrenStartTimeout bounds how long ch05/reuseport's Listen waits for its children to
// listen: an executable to start and a runtime to initialize, on a loaded machine.
const childrenStartTimeout = time.Minute

// reservePort binds, without listening, a socket with SO_REUSEPORT on port (0: a free one) at
// each address host stands for ("" for every interface, IPv4 and IPv6), the port the first one
// got for the rest; it returns them and the first address.
func reservePort(host string, port int) ([]int, string, error) {
	ips, err := resolve(host)
	if err != nil {
		return nil, "", err
	}
	var held []int
	var first string
	for _, ip := range ips {
		fd, err := reserve(netip.AddrPortFrom(ip, uint16(port)))
		if err != nil {
			closeAll(held)
			return nil, "", fmt.Errorf("reserving %s: %w", net.JoinHostPort(ip.String(), strconv.Itoa(port)), err)
		}
		held = append(held, fd)
		if first == "" {
			if first, err = blocking.LocalAddr(fd); err != nil {
				closeAll(held)
				return nil, "", err
			}
			_, port, _ = blocking.SplitHostPort(first)
		}
	}
	return held, first, nil
}

func resolve(host string) ([]netip.Addr, error) {
	if host == "" {
		return []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if err == nil && len(ips) == 0 {
		err = errors.New("no address")
	}
	if err != nil {
		return nil, fmt.Errorf("resolving %q: %w", host, err)
	}
	return ips, nil
}

// reserve is one bound, non-listening SO_REUSEPORT socket on ap (IPv6 only for IPv6, as
// BindSockets' are, so that the IPv4 one does not collide with it).
func reserve(ap netip.AddrPort) (int, error) {
	family := unix.AF_INET
	var sa unix.Sockaddr = &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
	if ap.Addr().Is6() && !ap.Addr().Is4In6() {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	fd, err := blocking.Socket(family)
	if err != nil {
		return -1, err
	}
	err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	if err == nil && family == unix.AF_INET6 {
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
	}
	if err == nil {
		err = unix.Bind(fd, sa)
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
