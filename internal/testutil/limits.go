// Descriptor limits and CPU readings, for the tests that run a server out of descriptors or
// check that it does not spin.

package testutil

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// EnsureDescriptors raises this process's soft RLIMIT_NOFILE to at least n for the rest of the
// test, or fails it with what to do.
func EnsureDescriptors(t testing.TB, n uint64) {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("getrlimit: %v", err)
	}
	if uint64(lim.Cur) >= n {
		return
	}
	if uint64(lim.Max) < n {
		t.Fatalf("this test needs %d descriptors; the hard limit is %d (raise it with ulimit -Hn)", n, lim.Max)
	}
	old := lim.Cur
	setLimit(&lim.Cur, n)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("setrlimit: %v", err)
	}
	t.Cleanup(func() {
		lim.Cur = old
		unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	})
}

// ExhaustDescriptors lowers the soft RLIMIT_NOFILE a little above what is open and fills the
// table with /dev/null but for one slot, which the caller's next socket (a client's) takes: the
// next accept in this process then fails with EMFILE. release frees the fillers and restores the
// limit; it may be called more than once, and runs when the test ends in any case.
func ExhaustDescriptors(t testing.TB) (release func()) {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("getrlimit: %v", err)
	}
	saved := lim
	setLimit(&lim.Cur, uint64(highestFD(t)+64))
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("setrlimit: %v", err)
	}
	var fillers []int
	release = func() {
		for _, fd := range fillers {
			unix.Close(fd)
		}
		fillers = nil
		unix.Setrlimit(unix.RLIMIT_NOFILE, &saved)
	}
	t.Cleanup(release)
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		fillers = append(fillers, fd)
	}
	unix.Close(fillers[len(fillers)-1])
	fillers = fillers[:len(fillers)-1]
	return release
}

// highestFD is the largest descriptor number this process has open.
func highestFD(t testing.TB) int {
	t.Helper()
	highest := 0
	for _, entry := range OpenFDs(t) {
		n, err := strconv.Atoi(entry[:strings.Index(entry, " ")])
		if err == nil {
			highest = max(highest, n)
		}
	}
	return highest
}

// setLimit stores n in an Rlimit field, whose type is uint64 on Linux and Darwin, int64 on
// FreeBSD.
func setLimit[T ~int64 | ~uint64](field *T, n uint64) { *field = T(n) }

// CPURate measures this process's CPU seconds per wall second over window. Sleeping is the
// measurement here, not a way to wait for something.
func CPURate(t testing.TB, window time.Duration) float64 {
	t.Helper()
	cpu0, wall0 := processCPU(t), time.Now()
	time.Sleep(window)
	return float64(processCPU(t)-cpu0) / float64(time.Since(wall0))
}

// processCPU is the user plus system CPU time this process has used so far.
func processCPU(t testing.TB) time.Duration {
	t.Helper()
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
