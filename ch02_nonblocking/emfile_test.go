package nonblocking

import (
	"fmt"
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

// Out of descriptors, accept fails with EMFILE while the client waits in the queue. The server
// logs it, does not spin (select and poll stop watching the listener for a moment), keeps serving
// the clients it has, and accepts the waiting client once descriptors are free again.
func TestServersSurviveEMFILE(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		s, logs := serve(t, newServer)
		first := testutil.Dial(t, s.Addr())
		testutil.Echo(t, first, "before\n")

		// Lower the soft limit a little above what is open, fill the table but one slot,
		// and let the next client's socket take that slot: the server then has none.
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
		if s.name != "busypoll" {
			if rate := cpuRate(t, 300*time.Millisecond); rate > 0.3 {
				t.Errorf("%.2f CPU s/s while out of descriptors: the loop spins on accept", rate)
			}
		}
		testutil.Echo(t, first, "still serving\n")

		release()
		testutil.Echo(t, waiting, fmt.Sprintf("accepted once %s had descriptors again\n", s.name))
		if n := strings.Count(logs.String(), "\n"); n > 3 {
			t.Errorf("%d log lines: %s", n, logs)
		}
	})
}
