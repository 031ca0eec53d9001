// The echo server out of descriptors: chapter 2's EMFILE test, on the loop.

package ioloop_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tornadotcp/internal/testutil"
)

// highestFD is the largest descriptor number this process has open.
func highestFD(t *testing.T) int {
	t.Helper()
	highest := 0
	for _, entry := range testutil.OpenFDs(t) {
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

// processCPU is the user plus system CPU time this process has used so far.
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuRate measures CPU seconds per wall second over window. Sleeping is the measurement here,
// not a way to wait for something.
func cpuRate(t *testing.T, window time.Duration) float64 {
	t.Helper()
	cpu0, wall0 := processCPU(t), time.Now()
	time.Sleep(window)
	return float64(processCPU(t)-cpu0) / float64(time.Since(wall0))
}

// Out of descriptors, accept fails with EMFILE while the client waits in the queue. The server
// says so once, takes the listener off the loop for a moment at a time instead of spinning on
// it, keeps serving the clients it has, accepts the waiting client once descriptors are free
// again, and says that too.
func TestEchoServerSurvivesEMFILE(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, logs := serveNew(t, m)
		first := testutil.Dial(t, s.Addr())
		testutil.Echo(t, first, "before\n")

		// Lower the soft limit a little above what is open, fill the table but one slot, and
		// let the next client's socket take that slot: the server then has none.
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
		release := func() {
			for _, fd := range fillers {
				unix.Close(fd)
			}
			fillers = nil
			unix.Setrlimit(unix.RLIMIT_NOFILE, &saved)
		}
		defer release()
		for {
			fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				break
			}
			fillers = append(fillers, fd)
		}
		unix.Close(fillers[len(fillers)-1])
		fillers = fillers[:len(fillers)-1]
		waiting := testutil.Dial(t, s.Addr())

		testutil.WaitFor(t, "the server to log EMFILE", func() bool {
			return strings.Contains(logs.String(), "too many open files")
		})
		if rate := cpuRate(t, 300*time.Millisecond); rate > 0.3 {
			t.Errorf("%.2f CPU s/s while out of descriptors: the loop spins on accept", rate)
		}
		testutil.Echo(t, first, "still serving\n")

		release()
		testutil.Echo(t, waiting, "accepted once descriptors were free again\n")
		log := logs.String()
		if n := strings.Count(log, "\n"); n != 2 || !strings.Contains(log, "accepting again") {
			t.Errorf("want two log lines, the shortage and its end; got %d:\n%s", n, log)
		}
	})
}
