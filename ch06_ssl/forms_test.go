//go:build linux

// The complete TCPServer in the tutorial's three startup forms and with SO_REUSEPORT: chapter 6's
// TLS echo server run as chapter 5 runs its servers. Each form is a small program run in a
// subprocess of the test binary (ForkProcesses re-executes the binary, so TestMain sends a process
// started with formsEnv, and its children, to the program it names); the test dials it with
// crypto/tls, reads an echo line and each process's whoami, stops the parent with SIGTERM and
// checks that it exits 0 and leaves no child behind.

package ssl

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	process "tornadotcp/ch05_processes"
	"tornadotcp/internal/testutil"
)

const (
	formsEnv = "SSL_FORMS_PROGRAM" // the program to run
	certEnv  = "SSL_FORMS_CERT"    // the certificate and key the test wrote
	keyEnv   = "SSL_FORMS_KEY"
	portEnv  = "SSL_FORMS_PORT" // reuseport's port, reserved by the test
)

func TestMain(m *testing.M) {
	if name, ok := os.LookupEnv(formsEnv); ok {
		prog, known := formPrograms[name]
		if !known {
			fmt.Fprintf(os.Stderr, "no program %q\n", name)
			os.Exit(2)
		}
		os.Exit(prog(Options{CertFile: os.Getenv(certEnv), KeyFile: os.Getenv(keyEnv)}))
	}
	os.Exit(m.Run())
}

// formPrograms return the exit status; a ForkProcesses parent exits 0 itself once its children
// are stopped, so a program returns in a parent only on an error.
var formPrograms = map[string]func(Options) int{
	"form1":     form1,
	"form2":     form2,
	"form3":     form3,
	"reuseport": reusePort,
}

// form1 is the tutorial's first form: one process, Listen, then the loop. It stops its loop on
// SIGTERM and exits 0, as the forking forms' parent does.
func form1(o Options) int {
	echo, err := NewEchoServer(o)
	if err != nil {
		return failed(err)
	}
	echo.Answer = process.Answer
	if err := echo.Listen(0, "127.0.0.1"); err != nil {
		return failed(err)
	}
	fmt.Printf("addr %s\n", echo.Addrs()[0])
	loop, err := ioloop.Current()
	if err != nil {
		return failed(err)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	go func() { <-stop; loop.Stop() }()
	if err := loop.Start(); err != nil {
		return failed(err)
	}
	return 0
}

// form2 is the second form: Bind, then chapter 5's Start(2) on the TLS server; each child
// repeats Bind (adopting the inherited socket) and prints the address again.
func form2(o Options) int {
	echo, err := NewEchoServer(o)
	if err != nil {
		return failed(err)
	}
	echo.Answer = process.Answer
	srv := &process.TCPServer{TCPServer: echo.TCPServer}
	if err := srv.Bind(0, "127.0.0.1", unix.AF_INET, 0, false); err != nil {
		return failed(err)
	}
	fmt.Printf("addr %s\n", srv.Addrs()[0])
	if err := srv.Start(2); err != nil {
		return failed(err)
	}
	return loopOn()
}

// form3 is the third form: BindSockets, ForkProcesses(2), then in each child a TLS server made
// after the fork that adds the inherited sockets.
func form3(o Options) int {
	fds, err := tcpserver.BindSockets(0, "127.0.0.1", unix.AF_INET, 0, false)
	if err != nil {
		return failed(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(boundPort(fds[0])))
	fmt.Printf("addr %s\n", addr)
	if _, err := process.ForkProcesses(2, 0); err != nil {
		return failed(err)
	}
	return serveTLS(o, fds)
}

// reusePort forks first and each child binds a socket of its own on the test's port with
// SO_REUSEPORT: two independent listeners the kernel spreads connections over.
func reusePort(o Options) int {
	port, err := strconv.Atoi(os.Getenv(portEnv))
	if err != nil {
		return failed(err)
	}
	if _, err := process.ForkProcesses(2, 0); err != nil {
		return failed(err)
	}
	fds, err := tcpserver.BindSockets(port, "127.0.0.1", unix.AF_INET, 0, true)
	if err != nil {
		return failed(err)
	}
	id, _ := process.TaskID()
	fmt.Printf("listening %d\n", id) // nothing listens on the port before the children do
	return serveTLS(o, fds)
}

// serveTLS serves the TLS echo server, made now (after the fork), on fds.
func serveTLS(o Options, fds []int) int {
	echo, err := NewEchoServer(o)
	if err != nil {
		return failed(err)
	}
	echo.Answer = process.Answer
	if err := echo.AddSockets(fds); err != nil {
		return failed(err)
	}
	return loopOn()
}

// loopOn runs the loop chosen after the fork until the child is stopped.
func loopOn() int {
	loop, err := ioloop.Current()
	if err == nil {
		err = loop.Start()
	}
	return failed(fmt.Errorf("loop ended: %v", err))
}

func failed(err error) int {
	fmt.Printf("pid %d: %v\n", os.Getpid(), err)
	return 3
}

func boundPort(fd int) int {
	sa, err := unix.Getsockname(fd)
	if in4, ok := sa.(*unix.SockaddrInet4); ok && err == nil {
		return in4.Port
	}
	return 0
}

func TestTLSStartupForms(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	for _, tc := range []struct {
		name  string
		procs int
	}{{"form1", 1}, {"form2", 2}, {"form3", 2}, {"reuseport", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			env := []string{certEnv + "=" + o.CertFile, keyEnv + "=" + o.KeyFile}
			var addr string
			if tc.name == "reuseport" {
				fd, port := reservePort(t)
				defer unix.Close(fd)
				addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
				env = append(env, portEnv+"="+strconv.Itoa(port))
			}
			p := testutil.StartProgram(t, formsEnv, tc.name, env...)
			if addr == "" {
				addr = printedAddr(t, p)
			} else {
				listening(t, p, tc.procs)
			}
			pids := served(t, addr, pool, tc.procs)
			p.Cmd.Process.Signal(syscall.SIGTERM)
			if out, code := p.Rest(t); code != 0 {
				t.Fatalf("exit status %d after SIGTERM, output %q; want 0", code, out)
			}
			for _, pid := range pids {
				testutil.Gone(t, pid)
			}
		})
	}
}

// served dials addr over TLS until it has seen an echo line and want distinct tasks answer
// whoami (task=none for the one-process form), and returns the pids that served.
func served(t *testing.T, addr string, pool *x509.CertPool, want int) []int {
	t.Helper()
	tasks := map[string]int{}
	deadline := time.Now().Add(testutil.ProgramTimeout)
	for len(tasks) < want {
		if time.Now().After(deadline) {
			t.Fatalf("only tasks %v answered within %v; want %d", tasks, testutil.ProgramTimeout, want)
		}
		d := &net.Dialer{Timeout: 30 * time.Second}
		c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatalf("dialing %s: %v", addr, err)
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		r := bufio.NewReader(c)
		fmt.Fprint(c, "hello over TLS\nwhoami\n")
		echo, err1 := r.ReadString('\n')
		who, err2 := r.ReadString('\n')
		c.Close()
		if err := errors.Join(err1, err2); err != nil {
			t.Fatalf("reading from %s: %v", addr, err)
		}
		if echo != "hello over TLS\n" {
			t.Fatalf("echo %q; want %q", echo, "hello over TLS\n")
		}
		var task string
		var pid int
		if n, _ := fmt.Sscanf(who, "task=%s pid=%d", &task, &pid); n != 2 {
			t.Fatalf("whoami answered %q", who)
		}
		if want == 1 && task != "none" || want > 1 && task == "none" {
			t.Fatalf("whoami answered %q from a %d-process form", who, want)
		}
		tasks[task] = pid
	}
	if want > 1 && (tasks["0"] == 0 || tasks["1"] == 0 || tasks["0"] == tasks["1"]) {
		t.Fatalf("tasks %v; want 0 and 1 in two processes", tasks)
	}
	t.Logf("served by %v (task: pid)", tasks)
	var pids []int
	for _, pid := range tasks {
		pids = append(pids, pid)
	}
	return pids
}

// reservePort binds, without listening, a SO_REUSEPORT socket on a free loopback port: the port
// stays this test's while the program's children bind it too, and takes no connection.
func reservePort(t *testing.T) (int, int) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	return fd, boundPort(fd)
}

// printedAddr is the address the program printed first.
func printedAddr(t *testing.T, p *testutil.Program) string {
	t.Helper()
	l := p.Line(t)
	a, found := strings.CutPrefix(l, "addr ")
	if !found {
		t.Fatalf("first line %q (standard error:\n%s)", l, p.Stderr.String())
	}
	return a
}

// listening waits until n children have said they listen.
func listening(t *testing.T, p *testutil.Program, n int) {
	t.Helper()
	for n > 0 {
		if strings.HasPrefix(p.Line(t), "listening ") {
			n--
		}
	}
}
