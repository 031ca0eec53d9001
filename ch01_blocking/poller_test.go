// The Go runtime's own poller and the descriptor limit: a process that runs out of descriptors
// before the runtime has opened its poller dies at its first timer, unless StartRuntimePoller ran
// first. The children run from TestMain, before the testing package sets a timer of its own.

package blocking_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

// pollerChildEnv makes the test binary run pollerChild with its value as the mode instead of
// the tests: "started" calls StartRuntimePoller first, "not-started" does not.
const pollerChildEnv = "BLOCKING_TEST_POLLER_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(pollerChildEnv); mode != "" {
		os.Exit(pollerChild(mode))
	}
	os.Exit(m.Run())
}

// pollerChild fills its descriptor table and then sets its first timer. It opens no *os.File
// (on Linux one would start the poller), and its standard streams are regular files: a
// non-blocking one would start the poller too, as package os initialises.
func pollerChild(mode string) int {
	if runtimePollerOpen() {
		fmt.Println("the runtime's poller was open before the test began")
		return 3
	}
	if mode == "started" {
		blocking.StartRuntimePoller()
	}
	limit := unix.Rlimit{Cur: 64, Max: 64}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &limit); err != nil {
		fmt.Println("setrlimit:", err)
		return 3
	}
	for {
		if _, err := unix.Open(os.DevNull, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			break
		}
	}
	time.Sleep(time.Millisecond)
	fmt.Println("survived a timer with no descriptor left")
	return 0
}

// runtimePollerOpen reports whether an epoll descriptor is open, reading /proc without opening
// anything.
func runtimePollerOpen() bool {
	for fd := range 64 {
		target, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		if err == nil && target == "anon_inode:[eventpoll]" {
			return true
		}
	}
	return false
}

// runPollerChild runs pollerChild in mode and returns everything it wrote and how it ended.
func runPollerChild(t *testing.T, mode string) (string, error) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "child")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(os.Args[0])
	// A race-enabled binary sleeps a second before it exits unless told not to.
	cmd.Env = append(os.Environ(), pollerChildEnv+"="+mode,
		"GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	cmd.Stdout, cmd.Stderr = out, out
	waitErr := cmd.Run()
	written, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(written), waitErr
}

func TestRuntimePollerAtTheDescriptorLimit(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skipf("no /proc to find the runtime's poller in: %v", err)
	}
	t.Run("not started: the first timer kills the process", func(t *testing.T) {
		out, err := runPollerChild(t, "not-started")
		t.Logf("child: %v\n%.600s", err, out)
		if err == nil || !strings.Contains(out, "fatal error: runtime: netpollinit failed") {
			t.Errorf("the child ended with %v, want the runtime's netpollinit failure:\n%.2000s",
				err, out)
		}
	})
	t.Run("started first: the process lives", func(t *testing.T) {
		out, err := runPollerChild(t, "started")
		if err != nil || !strings.Contains(out, "survived") {
			t.Errorf("the child ended with %v, want exit status 0:\n%.2000s", err, out)
		}
	})
}
