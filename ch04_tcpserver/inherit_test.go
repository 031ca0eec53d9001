// The hand-off of listening sockets to a re-executed child: the record the parent reads, the
// adoption in a child (simulated in this process, the inherited descriptors being dups of the
// parent's), each check that refuses a group, and once through a real exec. Linux only: the
// tests build their odd descriptors with epoll, dup3 and pipe2, and Linux is where they run.

//go:build linux

package tcpserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tornadotcp/internal/testutil"
)

// handoffTest forgets the binds of earlier tests now, and this test's when it ends.
func handoffTest(t *testing.T) {
	t.Helper()
	ResetSocketHandoff()
	t.Cleanup(ResetSocketHandoff)
}

// handoffInherit makes this process a child that inherited groups: the record of the binds
// that made them is forgotten, as a new process would not have it.
func handoffInherit(t *testing.T, groups ...[]int) {
	t.Helper()
	ResetSocketHandoff()
	if err := InheritSockets(groups); err != nil {
		t.Fatalf("InheritSockets(%v): %v", groups, err)
	}
}

// handoffDup copies the descriptors of groups the way exec hands them to a child: the same
// sockets under other numbers, close-on-exec clear. The copies are closed when the test ends.
func handoffDup(t *testing.T, groups [][]int) [][]int {
	t.Helper()
	dups := make([][]int, len(groups))
	for k, g := range groups {
		for _, fd := range g {
			d, err := unix.Dup(fd)
			if err != nil {
				t.Fatalf("dup: %v", err)
			}
			t.Cleanup(func() { unix.Close(d) })
			dups[k] = append(dups[k], d)
		}
	}
	return dups
}

// handoffSocketID is the identity of the socket behind fd.
func handoffSocketID(t *testing.T, fd int) socketID {
	t.Helper()
	id, err := identify(fd)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// handoffAccept waits up to 10 s for a connection on the listening socket fd, accepts it and
// closes it.
func handoffAccept(t *testing.T, fd int) {
	t.Helper()
	conn := handoffAcceptConn(t, fd)
	unix.Close(conn)
}

func handoffAcceptConn(t *testing.T, fd int) int {
	t.Helper()
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(pfd, 10_000)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || n == 0 {
			t.Fatalf("no connection to accept on fd %d: %d ready, %v", fd, n, err)
		}
		break
	}
	conn, _, err := acceptConn(fd)
	if err != nil {
		t.Fatalf("accept on fd %d: %v", fd, err)
	}
	return conn
}

// handoffConnectAccept connects to addr and checks that the connection is accepted on fd.
func handoffConnectAccept(t *testing.T, network, addr string, fd int) {
	t.Helper()
	c := serverTestDial(t, network, addr)
	handoffAccept(t, fd)
	c.Close()
}

// Each successful call records what it returned, one group per call in the order of the calls;
// a failed call records nothing, and nothing else is ever in the record.
func TestHandoffRecordsEachCall(t *testing.T) {
	testutil.CheckLeaks(t)
	handoffTest(t)
	a := bindTestSockets(t, 0, "127.0.0.1", unix.AF_INET, false)
	u := bindTestUnix(t, bindTestUnixPath(t), 0)
	if fds, err := BindSockets(int(bindTestAddr(t, a[0]).Port()), "127.0.0.1", unix.AF_INET, 0, false); err == nil {
		closeOpened(fds)
		t.Fatal("binding a taken port succeeded")
	}
	b := bindTestSockets(t, 0, "", unix.AF_UNSPEC, false)
	groups, err := ListeningSockets()
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]int{a, {u}, b}; !slices.EqualFunc(groups, want, slices.Equal) {
		t.Errorf("ListeningSockets() = %v, want %v", groups, want)
	}
}

// A recorded socket that was closed is never handed over: neither while its number is free nor
// once the number names something else (here a loop's epoll instance, the descriptor a child
// must never get).
func TestHandoffRefusesClosedSocket(t *testing.T) {
	testutil.CheckLeaks(t)
	handoffTest(t)
	fds, err := BindSockets(0, "127.0.0.1", unix.AF_INET, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fds[0])
	if groups, err := ListeningSockets(); !errors.Is(err, ErrRecordedSocketClosed) {
		t.Errorf("with the socket closed: ListeningSockets() = %v, %v; want ErrRecordedSocketClosed", groups, err)
	}
	// The lowest free number is usually the one just closed; if not, dup3 puts it there.
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if ep != fds[0] {
		err = unix.Dup3(ep, fds[0], unix.O_CLOEXEC)
		unix.Close(ep)
		if err != nil {
			t.Fatal(err)
		}
	}
	defer unix.Close(fds[0])
	groups, err := ListeningSockets()
	if !errors.Is(err, ErrRecordedSocketClosed) {
		t.Errorf("with the number reused: ListeningSockets() = %v, %v; want ErrRecordedSocketClosed", groups, err)
	}
	t.Log(err)
}

// The simulated child calls BindSockets with the parent's arguments, port 0 included, and gets
// the inherited descriptors: the parent's sockets, on the parent's port, close-on-exec again and
// still non-blocking, accepting. Its own record lists them; a call beyond the inherited groups
// binds a new socket.
func TestHandoffAdoptsTCP(t *testing.T) {
	testutil.CheckLeaks(t)
	handoffTest(t)
	parent := bindTestSockets(t, 0, "127.0.0.1", unix.AF_INET, false)
	groups, err := ListeningSockets()
	if err != nil {
		t.Fatal(err)
	}
	inherited := handoffDup(t, groups)
	handoffInherit(t, inherited...)

	got, err := BindSockets(0, "127.0.0.1", unix.AF_INET, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, inherited[0]) {
		t.Fatalf("BindSockets in the child = %v, want the inherited %v", got, inherited[0])
	}
	if handoffSocketID(t, got[0]).ino != handoffSocketID(t, parent[0]).ino {
		t.Error("the adopted descriptor is not the parent's socket")
	}
	checkListener(t, got[0])
	if bindTestAddr(t, got[0]) != bindTestAddr(t, parent[0]) {
		t.Errorf("adopted %v, want the parent's %v", bindTestAddr(t, got[0]), bindTestAddr(t, parent[0]))
	}
	handoffConnectAccept(t, "tcp", bindTestAddr(t, parent[0]).String(), got[0])

	fresh := bindTestSockets(t, 0, "127.0.0.1", unix.AF_INET, false)
	if slices.Contains(inherited[0], fresh[0]) || bindTestAddr(t, fresh[0]) == bindTestAddr(t, parent[0]) {
		t.Errorf("a call after the inherited groups got %v, want a socket of its own", bindTestAddr(t, fresh[0]))
	}
	if record, err := ListeningSockets(); err != nil || !slices.EqualFunc(record, [][]int{got, fresh}, slices.Equal) {
		t.Errorf("the child's ListeningSockets() = %v, %v; want %v", record, err, [][]int{got, fresh})
	}
}

// "" with port 0 is two sockets, 0.0.0.0 and ::, on one port: adopted together, each accepting.
func TestHandoffAdoptsBothFamilies(t *testing.T) {
	testutil.CheckLeaks(t)
	handoffTest(t)
	if !bindTestIPv6(t) {
		return
	}
	parent := bindTestSockets(t, 0, "", unix.AF_UNSPEC, false)
	inherited := handoffDup(t, [][]int{parent})
	handoffInherit(t, inherited...)
	got, err := BindSockets(0, "", unix.AF_UNSPEC, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !slices.Equal(got, inherited[0]) {
		t.Fatalf("BindSockets in the child = %v, want the inherited %v", got, inherited[0])
	}
	port := bindTestAddr(t, got[0]).Port()
	handoffConnectAccept(t, "tcp4", fmt.Sprintf("127.0.0.1:%d", port), got[0])
	handoffConnectAccept(t, "tcp6", fmt.Sprintf("[::1]:%d", port), got[1])
}

// BindUnixSocket in the child adopts the parent's socket and leaves its file alone: the same
// file (not deleted and bound again), still reaching the socket.
func TestHandoffAdoptsUnixSocket(t *testing.T) {
	testutil.CheckLeaks(t)
	handoffTest(t)
	path := bindTestUnixPath(t)
	parent := bindTestUnix(t, path, 0o660)
	before, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	inherited := handoffDup(t, [][]int{{parent}})
	handoffInherit(t, inherited...)
	got, err := BindUnixSocket(path, 0o660, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got != inherited[0][0] {
		t.Fatalf("BindUnixSocket in the child = %d, want the inherited %d", got, inherited[0][0])
	}
	checkDescriptorFlags(t, got)
	after, err := os.Lstat(path)
	if err != nil {
		t.Fatalf("the parent's socket file is gone: %v", err)
	}
	if !os.SameFile(before, after) || after.Mode() != before.Mode() {
		t.Errorf("the socket file changed: %v, was %v", after.Mode(), before.Mode())
	}
	handoffConnectAccept(t, "unix", path, got)
}

// handoffListener is a listening TCP socket on the IP address given, closed when the test ends.
func handoffListener(t *testing.T, address string) int {
	t.Helper()
	return bindTestSockets(t, 0, address, unix.AF_UNSPEC, false)[0]
}

// handoffSocket is a socket of the given family and type bound to sa, not listening; closed
// when the test ends.
func handoffSocket(t *testing.T, family, typ int, sa unix.Sockaddr) int {
	t.Helper()
	fd, err := unix.Socket(family, typ|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatal(err)
	}
	return fd
}

// A group that does not match the call is refused with an error that names the call, the
// group and what differs, and nothing is bound instead: one case per check.
func TestHandoffMismatch(t *testing.T) {
	testutil.CheckLeaks(t)
	handoffTest(t)
	ipv6 := bindTestIPv6(t)
	loopback4 := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	type tcase struct {
		name  string
		group func(t *testing.T) []int
		call  func() error // makes the child's call; closes what it returns
		want  string       // in the error: what differs
	}
	bindLoopback := func(port int, reusePort bool) func() error {
		return func() error {
			fds, err := BindSockets(port, "127.0.0.1", unix.AF_UNSPEC, 0, reusePort)
			closeOpened(fds)
			return err
		}
	}
	bindUnix := func(path string) func() error {
		return func() error {
			fd, err := BindUnixSocket(path, 0, 0)
			if err == nil {
				unix.Close(fd)
			}
			return err
		}
	}
	unixPath := bindTestUnixPath(t)
	otherPath := unixPath + "-other"
	cases := []tcase{
		{"a pipe", func(t *testing.T) []int {
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
			return p[:1]
		}, bindLoopback(0, false), "is not a socket"},
		{"a UDP socket", func(t *testing.T) []int {
			return []int{handoffSocket(t, unix.AF_INET, unix.SOCK_DGRAM, loopback4)}
		}, bindLoopback(0, false), "is not a stream socket"},
		{"a socket that does not listen", func(t *testing.T) []int {
			return []int{handoffSocket(t, unix.AF_INET, unix.SOCK_STREAM, loopback4)}
		}, bindLoopback(0, false), "is not listening"},
		{"a blocking socket", func(t *testing.T) []int {
			fd := handoffListener(t, "127.0.0.1")
			if err := unix.SetNonblock(fd, false); err != nil {
				t.Fatal(err)
			}
			return []int{fd}
		}, bindLoopback(0, false), "is blocking"},
		{"another address", func(t *testing.T) []int {
			return []int{handoffListener(t, "127.0.0.1")}
		}, func() error {
			fds, err := BindSockets(0, "127.0.0.2", unix.AF_INET, 0, false)
			closeOpened(fds)
			return err
		}, "the call asks for [127.0.0.2]"},
		{"another port", func(t *testing.T) []int {
			return []int{handoffListener(t, "127.0.0.1")}
		}, func() error {
			fds, err := BindSockets(1, "127.0.0.1", unix.AF_INET, 0, false)
			closeOpened(fds)
			return err
		}, "not port 1"},
		{"one socket too many", func(t *testing.T) []int {
			return []int{handoffListener(t, "127.0.0.1"), handoffListener(t, "127.0.0.1")}
		}, bindLoopback(0, false), "one socket per address"},
		{"SO_REUSEPORT missing", func(t *testing.T) []int {
			return []int{handoffListener(t, "127.0.0.1")}
		}, bindLoopback(0, true), "SO_REUSEPORT off"},
		{"a unix socket for BindSockets", func(t *testing.T) []int {
			return []int{bindTestUnix(t, bindTestUnixPath(t), 0)}
		}, bindLoopback(0, false), "is not a TCP socket"},
		{"a TCP socket for BindUnixSocket", func(t *testing.T) []int {
			return []int{handoffListener(t, "127.0.0.1")}
		}, bindUnix(unixPath), "is not a unix socket"},
		{"another path", func(t *testing.T) []int {
			return []int{bindTestUnix(t, unixPath, 0)}
		}, bindUnix(otherPath), fmt.Sprintf("is bound to %q, not %q", unixPath, otherPath)},
		{"two sockets for BindUnixSocket", func(t *testing.T) []int {
			return []int{bindTestUnix(t, bindTestUnixPath(t), 0), bindTestUnix(t, bindTestUnixPath(t), 0)}
		}, bindUnix(unixPath), "has 2 sockets"},
	}
	if ipv6 {
		cases = append(cases, tcase{"another family", func(t *testing.T) []int {
			return []int{handoffListener(t, "::1")}
		}, bindLoopback(0, false), "is an IPv6 socket"})
		cases = append(cases, tcase{"port 0 on two ports", func(t *testing.T) []int {
			v4 := handoffListener(t, "0.0.0.0")
			v6 := handoffListener(t, "::")
			if bindTestAddr(t, v4).Port() == bindTestAddr(t, v6).Port() {
				v6 = handoffListener(t, "::") // the kernel picked one port twice; not this time
			}
			return []int{v4, v6}
		}, func() error {
			fds, err := BindSockets(0, "", unix.AF_UNSPEC, 0, false)
			closeOpened(fds)
			return err
		}, "one port for the group"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ResetSocketHandoff() // the group is bound, not adopted
			group := tc.group(t)
			handoffInherit(t, group)
			err := tc.call()
			if !errors.Is(err, ErrInheritedMismatch) {
				t.Fatalf("got %v, want ErrInheritedMismatch", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "group 0") ||
				!strings.Contains(msg, "Bind") {
				t.Errorf("the error does not name the call, the group and %q:\n%v", tc.want, err)
			}
			t.Log(err)
		})
	}
	// The refused BindUnixSocket calls neither made a file at the path they asked for nor
	// removed the one that was there.
	if _, err := os.Lstat(otherPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused BindUnixSocket made %s: %v", otherPath, err)
	}
	if _, err := os.Lstat(unixPath); err != nil {
		t.Errorf("a refused BindUnixSocket removed %s: %v", unixPath, err)
	}
}

// A refused group stays for the next call: a program that falls back to other arguments after
// an error, as the parent did after its bind failed, adopts the group then.
func TestHandoffMismatchLeavesGroup(t *testing.T) {
	testutil.CheckLeaks(t)
	handoffTest(t)
	fd := handoffListener(t, "127.0.0.1")
	port := int(bindTestAddr(t, fd).Port())
	handoffInherit(t, []int{fd})
	if fds, err := BindSockets(port, "127.0.0.2", unix.AF_INET, 0, false); !errors.Is(err, ErrInheritedMismatch) {
		closeOpened(fds)
		t.Fatalf("the first call: %v, want ErrInheritedMismatch", err)
	}
	got, err := BindSockets(port, "127.0.0.1", unix.AF_INET, 0, false)
	if err != nil || !slices.Equal(got, []int{fd}) {
		t.Fatalf("the second call = %v, %v; want the inherited [%d]", got, err, fd)
	}
}

// InheritSockets comes once, before any bind, with open descriptors and no empty group; it
// makes every descriptor close-on-exec again and leaves O_NONBLOCK as it was, blocking or not.
func TestHandoffInheritRules(t *testing.T) {
	testutil.CheckLeaks(t)
	handoffTest(t)
	fd := handoffListener(t, "127.0.0.1")
	inherited := handoffDup(t, [][]int{{fd}})[0][0]
	if err := InheritSockets([][]int{{inherited}}); err == nil {
		t.Error("InheritSockets after a bind succeeded")
	}
	handoffInherit(t, []int{inherited})
	checkDescriptorFlags(t, inherited)
	if err := InheritSockets([][]int{{inherited}}); err == nil {
		t.Error("a second InheritSockets succeeded")
	}

	blocking := handoffDup(t, [][]int{{fd}})[0][0]
	if err := unix.SetNonblock(blocking, false); err != nil { // the same open file as fd
		t.Fatal(err)
	}
	handoffInherit(t, []int{blocking})
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil || fl&unix.O_NONBLOCK != 0 {
		t.Errorf("InheritSockets set O_NONBLOCK on a blocking socket: flags %#x, %v", fl, err)
	}

	ResetSocketHandoff()
	if err := InheritSockets([][]int{{}}); err == nil {
		t.Error("InheritSockets with an empty group succeeded")
	}
	ResetSocketHandoff()
	closed := handoffDup(t, [][]int{{fd}})[0][0]
	unix.Close(closed)
	if err := InheritSockets([][]int{{closed}}); !errors.Is(err, unix.EBADF) {
		t.Errorf("InheritSockets with a closed descriptor: %v, want EBADF", err)
	}
}

// handoffChildEnv is set, to the unix socket's path, in the child of TestHandoffSurvivesExec;
// handoffGroupsEnv gives the sizes of the inherited groups, whose descriptors start at 3.
const (
	handoffChildEnv  = "TORNADOTCP_HANDOFF_CHILD"
	handoffGroupsEnv = "TORNADOTCP_HANDOFF_GROUPS"
)

// The test binary runs itself again with the parent's listening sockets as exec.Cmd ExtraFiles,
// as chapter 5 will: the child makes the parent's calls and serves one connection on each
// adopted socket, answering with its pid. The descriptors survive exec, arrive listening and
// non-blocking, are close-on-exec again after InheritSockets, and the parent's unix socket file
// is still there, reaching the parent's socket, when the child has gone.
func TestHandoffSurvivesExec(t *testing.T) {
	if path, ok := os.LookupEnv(handoffChildEnv); ok {
		handoffChild(t, path)
		return
	}
	testutil.CheckLeaks(t)
	handoffTest(t)
	tcp := bindTestSockets(t, 0, "127.0.0.1", unix.AF_INET, false)
	path := bindTestUnixPath(t)
	ufd := bindTestUnix(t, path, 0)
	groups, err := ListeningSockets()
	if err != nil {
		t.Fatal(err)
	}
	var files []*os.File
	var sizes []string
	for _, g := range groups {
		sizes = append(sizes, strconv.Itoa(len(g)))
		for _, fd := range g {
			d, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, os.NewFile(uintptr(d), "listener"))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v",
		"-test.timeout=1m")
	// A race-enabled binary sleeps a second before it exits unless told not to.
	cmd.Env = append(os.Environ(), handoffChildEnv+"="+path, handoffGroupsEnv+"="+strings.Join(sizes, ","),
		"GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	cmd.ExtraFiles = files
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Start()
	for _, f := range files {
		f.Close() // the child has its own
	}
	if err != nil {
		t.Fatal(err)
	}
	var replies []string
	for _, target := range []struct{ network, addr string }{
		{"tcp", bindTestAddr(t, tcp[0]).String()}, {"unix", path},
	} {
		c := serverTestDial(t, target.network, target.addr)
		line, err := readLine(c)
		c.Close()
		if err != nil {
			t.Errorf("no answer from the child over %s: %v", target.network, err)
		}
		replies = append(replies, line)
	}
	err = cmd.Wait()
	t.Logf("the child:\n%s", out.String())
	if err != nil || !strings.Contains(out.String(), "--- PASS: "+t.Name()) {
		t.Fatalf("the child failed: %v", err)
	}
	want := []string{fmt.Sprintf("pid=%d fd=3", cmd.Process.Pid), fmt.Sprintf("pid=%d fd=4", cmd.Process.Pid)}
	if !slices.Equal(replies, want) {
		t.Errorf("the child answered %q, want %q", replies, want)
	}
	handoffConnectAccept(t, "unix", path, ufd)
}

// readLine reads from c up to a newline, which it drops.
func readLine(c net.Conn) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		if _, err := c.Read(b); err != nil {
			return string(line), err
		}
		if b[0] == '\n' {
			return string(line), nil
		}
		line = append(line, b[0])
	}
}

// handoffChild is the child of TestHandoffSurvivesExec: a program that runs from the top with
// the parent's sockets inherited, and makes the parent's two calls.
func handoffChild(t *testing.T, path string) {
	var groups [][]int
	next := 3
	for _, size := range strings.Split(os.Getenv(handoffGroupsEnv), ",") {
		n, err := strconv.Atoi(size)
		if err != nil {
			t.Fatalf("%s: %v", handoffGroupsEnv, err)
		}
		var g []int
		for range n {
			g = append(g, next)
			next++
		}
		groups = append(groups, g)
	}
	for _, fd := range []int{3, 4} {
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC != 0 {
			t.Errorf("fd %d arrived with flags %#x, %v; want it open and inheritable", fd, fl, err)
		}
	}
	if err := InheritSockets(groups); err != nil {
		t.Fatal(err)
	}
	tcp, err := BindSockets(0, "127.0.0.1", unix.AF_INET, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	ufd, err := BindUnixSocket(path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer closeOpened(append(tcp, ufd))
	if !slices.EqualFunc([][]int{tcp, {ufd}}, groups, slices.Equal) {
		t.Fatalf("adopted %v and %d, want the inherited %v", tcp, ufd, groups)
	}
	for _, fd := range []int{tcp[0], ufd} {
		checkDescriptorFlags(t, fd)
		conn := handoffAcceptConn(t, fd)
		_, err := unix.Write(conn, fmt.Appendf(nil, "pid=%d fd=%d\n", os.Getpid(), fd))
		unix.Close(conn)
		if err != nil {
			t.Fatal(err)
		}
	}
}
