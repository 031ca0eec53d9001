package nonblocking

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// probe sends a line and reports whether it came back (true), or the connection turned out to
// be closed by the server (false). Anything else, such as a timeout, fails the test.
func probe(t *testing.T, c *echoclient.Conn, line string) bool {
	t.Helper()
	err := c.Send([]byte(line))
	if err == nil {
		var got []byte
		got, err = c.ReadLine()
		if err == nil && string(got) == line {
			return true
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return false
	}
	t.Fatalf("probe %q: %v", line, err)
	return false
}

// The FD_SETSIZE wall, live: 1,100 clients of the select server in this one process, whose
// descriptors (clients' and server's alike) pass 1023 about halfway. The first clients are
// served; each later one is closed as soon as it is accepted; the log says so in a few lines,
// counting every refusal; and the server stays up, still serving an early client.
func TestSelectFDSetSizeWall(t *testing.T) {
	const clients = 1100
	testutil.EnsureDescriptors(t, 2*clients+200)
	testutil.CheckLeaks(t)
	s, logs := serve(t, NewSelect)
	start := time.Now()

	conns := make([]*echoclient.Conn, clients)
	for i := range conns {
		conns[i] = testutil.Dial(t, s.Addr())
	}
	served, firstRefused := 0, -1
	for i, c := range conns {
		if probe(t, c, fmt.Sprintf("client %d\n", i)) {
			served++
			if firstRefused >= 0 {
				t.Errorf("client %d served after client %d was refused: refusals should "+
					"begin at the wall and go on", i, firstRefused)
			}
		} else if firstRefused < 0 {
			firstRefused = i
		}
	}
	refused := clients - served
	t.Logf("%d clients served, %d refused (first refused: #%d), in %v",
		served, refused, firstRefused, time.Since(start))
	if served < 300 || refused == 0 {
		t.Fatalf("served %d, refused %d: want the first few hundred served and the rest refused",
			served, refused)
	}
	if !probe(t, conns[0], "still here\n") || !probe(t, conns[served-1], "me too\n") {
		t.Fatalf("the server stopped serving the early clients")
	}

	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	var reported int
	logLines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	count := regexp.MustCompile(` times=(\d+)$`)
	for _, line := range logLines {
		if !strings.Contains(line, "FD_SETSIZE") {
			t.Errorf("unexpected log line: %q", line)
			continue
		}
		if m := count.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			reported += n
		} else {
			reported++
		}
	}
	if reported != refused {
		t.Errorf("the log counts %d refusals, the clients saw %d", reported, refused)
	}
	if len(logLines) > 2+int(time.Since(start)/reportInterval) {
		t.Errorf("%d log lines for %d refusals in %v: not rate-limited",
			len(logLines), refused, time.Since(start))
	}
	t.Logf("log (%d lines): %s", len(logLines), logLines[0])
}

// fillDescriptorsBelow opens /dev/null until every descriptor number below limit is taken, and
// closes them all when the test ends.
func fillDescriptorsBelow(t *testing.T, limit int) {
	t.Helper()
	var held []int
	t.Cleanup(func() {
		for _, fd := range held {
			unix.Close(fd)
		}
	})
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("open /dev/null: %v", err)
		}
		held = append(held, fd)
		if fd >= limit-1 {
			return
		}
	}
}

// With every descriptor below 1024 taken, select cannot even watch its own listener: NewSelect
// says so instead of starting a server that would crash. The poll server, in the same spot,
// serves connections on descriptors past 1024: poll has no wall.
func TestSelectAboveTheWallPollServes(t *testing.T) {
	testutil.EnsureDescriptors(t, uint64(FDSetSize)+200)
	testutil.CheckLeaks(t)
	fillDescriptorsBelow(t, FDSetSize)

	s, err := NewSelect("127.0.0.1:0")
	if !errors.Is(err, ErrDescriptorTooLarge) {
		if err == nil {
			s.Stop()
		}
		t.Fatalf("NewSelect with descriptors 0..1023 taken: %v, want ErrDescriptorTooLarge", err)
	}

	p, _ := serve(t, NewPoll)
	if p.listener < FDSetSize {
		t.Fatalf("listener fd %d: the test did not fill the descriptors below %d", p.listener, FDSetSize)
	}
	for i := range 3 {
		testutil.Echo(t, testutil.Dial(t, p.Addr()), fmt.Sprintf("poll client %d above the wall\n", i))
	}
}
