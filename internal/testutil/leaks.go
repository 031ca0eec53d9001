// Package testutil holds the checks every network test in the project shares: no descriptor and
// no goroutine may outlive the test that made it.
package testutil

import (
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// startNetpoll makes the Go runtime open its own epoll and eventfd descriptors now: they are
// opened on first use, and a test that happens to be that first use must not count them as its
// leak. Opening a listener is a use that is certain to start them.
var startNetpoll = sync.OnceFunc(func() {
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
})

// CheckLeaks records the open descriptors and goroutines now and, when t ends, fails the test if
// there are more. Call it first in a test, before anything is opened. Goroutines and descriptors
// are given a moment to go (a closing connection's goroutine may still be returning): the check
// polls until they are gone or two seconds have passed.
func CheckLeaks(t testing.TB) {
	t.Helper()
	startNetpoll()
	fds := OpenFDs(t)
	goroutines := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for {
			extraFDs := newFDs(fds, OpenFDs(t))
			extraG := runtime.NumGoroutine() - goroutines
			if len(extraFDs) == 0 && extraG <= 0 {
				return
			}
			if time.Now().After(deadline) {
				if len(extraFDs) > 0 {
					t.Errorf("leaked %d descriptors: %s", len(extraFDs), strings.Join(extraFDs, ", "))
				}
				if extraG > 0 {
					buf := make([]byte, 1<<20)
					buf = buf[:runtime.Stack(buf, true)]
					t.Errorf("leaked %d goroutines:\n%s", extraG, buf)
				}
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// OpenFDs lists this process's open descriptors as "N -> target" from /proc/self/fd.
func OpenFDs(t testing.TB) []string {
	t.Helper()
	dir := "/proc/self/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("cannot list descriptors: %v", err)
	}
	var out []string
	for _, e := range entries {
		target, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue // the descriptor ReadDir itself used, now closed
		}
		out = append(out, e.Name()+" -> "+target)
	}
	return out
}

func newFDs(before, after []string) []string {
	var extra []string
	for _, fd := range after {
		if !slices.Contains(before, fd) {
			extra = append(extra, fd)
		}
	}
	return extra
}
