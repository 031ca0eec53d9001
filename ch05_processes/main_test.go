// The programs the process tests run in a subprocess of the test binary. ForkProcesses' parent
// ends with os.Exit, which a test cannot survive, and its children execute the test binary again
// with the same arguments: without this switch on the environment a child would run every test
// again. TestMain sends a process started with programEnv (and its children, which inherit the
// variable) to the program it names.

package process

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
)

const programEnv = "PROCESS_TEST_PROGRAM"

func TestMain(m *testing.M) {
	if name, ok := os.LookupEnv(programEnv); ok {
		prog, known := programs[name]
		if !known {
			fmt.Fprintf(os.Stderr, "no program %q\n", name)
			os.Exit(2)
		}
		os.Exit(prog())
	}
	os.Exit(m.Run())
}

// programs returns the exit status; in a parent, ForkProcesses exits 0 itself when the children
// are done, so a program's own return is reached in a parent only on an error.
var programs = map[string]func() int{
	"multi":    multiProcess,
	"ids":      printIDs,
	"failing":  failing,
	"serve":    serveForever,
	"twice":    forkTwice,
	"unix":     serveUnixToo,
	"stubborn": stubborn,
	"loop":     loopPassed,
	"random":   randomPort,
}

// parentFailed reports the error ForkProcesses returned in the parent, with status 3.
func parentFailed(err error) int {
	fmt.Printf("parent: %v\n", err)
	return 3
}

// multiProcess is Tornado 3.2's test_multi_process: three processes on one socket, children 0 and
// 1 serve, child 2 is the client that makes them exit with chosen statuses and watches them
// restarted, then makes them exit 0 so the parent exits 0.
func multiProcess() int {
	fds, err := tcpserver.BindSockets(0, "127.0.0.1", unix.AF_INET, 0, false)
	if err != nil {
		return parentFailed(err)
	}
	addr, _ := blocking.LocalAddr(fds[0])
	id, err := ForkProcesses(3, 3)
	if err != nil {
		return parentFailed(err)
	}
	if id == 2 {
		unix.Close(fds[0])
		return multiClient(addr)
	}
	return serveEcho(fds, func(line []byte) ([]byte, bool) {
		if n, ok := strings.CutPrefix(strings.TrimSpace(string(line)), "exit "); ok {
			code, _ := strconv.Atoi(n)
			os.Exit(code)
		}
		return Answer(line)
	})
}

// multiClient is child 2 of multiProcess.
func multiClient(addr string) int {
	ask := func(line string) (string, error) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return "", err
		}
		defer c.Close()
		fmt.Fprintln(c, line)
		return bufio.NewReader(c).ReadString('\n')
	}
	pid := func() (string, error) {
		a, err := ask("whoami")
		if err != nil {
			return "", err
		}
		_, p, _ := strings.Cut(strings.TrimSpace(a), "pid=")
		return p, nil
	}
	ask("exit 2") // the answer is EOF: the child exited instead
	ask("exit 3")
	if _, err := pid(); err != nil { // restarted, so a new request works
		fmt.Println("client: after restarts:", err)
		return 1
	}
	ask("exit 0") // not restarted: one server left
	p1, err1 := pid()
	ask("exit 4")
	p2, err2 := pid()
	if err := errors.Join(err1, err2); err != nil || p1 == p2 {
		fmt.Println("client: the last server's pid did not change:", p1, p2, err)
		return 1
	}
	ask("exit 0")
	fmt.Println("client: ok")
	return 0
}

// serveEcho serves chapter 4's echo server with answer on fds, on the loop chosen now, after
// the fork.
func serveEcho(fds []int, answer func([]byte) ([]byte, bool)) int {
	echo := tcpserver.NewEchoServer()
	echo.Answer = answer
	if err := echo.AddSockets(fds); err != nil {
		fmt.Println("child:", err)
		return 1
	}
	return runLoop()
}

// printIDs is master's TestMultiprocess without the server: each child prints its task id and
// exits 0; the parent then exits 0.
func printIDs() int {
	id, err := ForkProcesses(3, 0)
	if err != nil {
		return parentFailed(err)
	}
	got, ok := TaskID()
	fmt.Printf("task %d %d %v\n", id, got, ok)
	return 0
}

// failing: child 0 exits 1 every time, child 1 waits to be stopped; the parent gives up after
// two restarts.
func failing() int {
	id, err := ForkProcesses(2, 2)
	if err != nil {
		return parentFailed(err)
	}
	fmt.Printf("task %d pid %d\n", id, os.Getpid())
	if id == 0 {
		return 1
	}
	select {}
}

// randomPort picks its port at random before the fork, as a program might that wants a port
// nobody can guess. A child runs main again and picks another port, so the BindSockets call it
// repeats does not match the socket it inherited: it fails, is restarted, fails again, until the
// parent gives up. The book's example of work before the fork that is not deterministic.
func randomPort() int {
	var fds []int
	var err error
	for range 10 {
		port := 20000 + rand.IntN(40000)
		fmt.Printf("pid %d binds port %d\n", os.Getpid(), port)
		fds, err = tcpserver.BindSockets(port, "127.0.0.1", unix.AF_INET, 0, false)
		if !errors.Is(err, unix.EADDRINUSE) {
			break
		}
	}
	if err != nil {
		fmt.Printf("pid %d: %v\n", os.Getpid(), err)
		return 1
	}
	id, err := ForkProcesses(2, 2)
	if err != nil {
		return parentFailed(err)
	}
	fmt.Printf("task %d serves on fd %d\n", id, fds[0])
	select {}
}

// serveForever: each child says who it is and waits to be killed.
func serveForever() int {
	id, err := ForkProcesses(3, 100)
	if err != nil {
		return parentFailed(err)
	}
	fmt.Printf("task %d pid %d\n", id, os.Getpid())
	select {}
}

// forkTwice: a second ForkProcesses in a child is an error.
func forkTwice() int {
	id, err := ForkProcesses(2, 0)
	if err != nil {
		return parentFailed(err)
	}
	_, err = ForkProcesses(2, 0)
	fmt.Printf("task %d second call: %v\n", id, err)
	if !errors.Is(err, ErrForkedTwice) {
		return 1
	}
	return 0
}

// serveUnixToo is form 2 (Bind, Start(3)) with a unix socket added in each child: BindUnixSocket
// in the child adopts the parent's socket and leaves its file alone.
func serveUnixToo() int {
	echo := tcpserver.NewEchoServer()
	echo.Answer = Answer
	srv := &TCPServer{TCPServer: echo.TCPServer}
	if err := srv.Bind(0, "127.0.0.1", unix.AF_INET, 0, false); err != nil {
		return parentFailed(err)
	}
	ufd, err := tcpserver.BindUnixSocket(os.Getenv("PROCESS_TEST_UNIX"), 0o600, 0)
	if err != nil {
		return parentFailed(err)
	}
	if err := srv.Start(3); err != nil {
		return parentFailed(err)
	}
	if err := srv.AddSocket(ufd); err != nil {
		fmt.Println("child:", err)
		return 1
	}
	id, _ := TaskID()
	fmt.Printf("task %d pid %d\n", id, os.Getpid())
	return runLoop()
}

// stubborn: the children ignore SIGTERM; the parent stops them with Supervisor.Stop, which
// kills them once the grace period is over.
func stubborn() int {
	id, sup, err := Fork(2, 0)
	if err != nil {
		return parentFailed(err)
	}
	if sup == nil {
		signal.Ignore(syscall.SIGTERM)
		fmt.Printf("task %d pid %d\n", id, os.Getpid())
		Ready()
		select {}
	}
	<-sup.Ready()
	start := time.Now()
	err = sup.Stop(syscall.SIGTERM, stubbornGrace)
	fmt.Printf("stopped: %v, after the grace: %v\n", err, time.Since(start) >= stubbornGrace)
	return 0
}

const stubbornGrace = 300 * time.Millisecond

// runLoop runs the loop chosen after the fork, ioloop.Current(), until the child is killed.
func runLoop() int {
	loop, err := ioloop.Current()
	if err == nil {
		err = loop.Start()
	}
	fmt.Println("child: loop ended:", err)
	return 1
}

// loopPassed is form 2 with a loop given to the constructor, not the singleton, and a line
// printed before Start: in Tornado 3.2 the children would share the loop's epoll instance (and
// all but one fail to register the socket); here each child makes its loop again, in main, and
// prints the line again.
func loopPassed() int {
	loop, err := ioloop.New()
	if err != nil {
		return parentFailed(err)
	}
	echo := tcpserver.NewEchoServer(tcpserver.WithIOLoop(loop))
	echo.Answer = Answer
	srv := &TCPServer{TCPServer: echo.TCPServer}
	if err := srv.Bind(0, "127.0.0.1", unix.AF_INET, 0, false); err != nil {
		return parentFailed(err)
	}
	fmt.Printf("before the fork: pid %d, %s\n", os.Getpid(), srv.Addrs()[0])
	if err := srv.Start(2); err != nil {
		return parentFailed(err)
	}
	id, _ := TaskID()
	fmt.Printf("task %d serving\n", id)
	err = loop.Start()
	fmt.Println("child: loop ended:", err)
	return 1
}
