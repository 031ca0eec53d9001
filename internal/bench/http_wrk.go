// Running wrk, the HTTP load generator, and reading its report.

package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrWrkOutput is wrapped when wrk's report lacks a figure the bench needs.
var ErrWrkOutput = errors.New("unexpected wrk output")

// wrkGrace is how long wrk may run past its own duration before it is killed: it needs a
// moment to start, connect and print.
const wrkGrace = 30 * time.Second

// runWrk runs `wrk -t1 -cCONNS -dSECONDSs --latency URL` (http://ADDR/, or https://ADDR/:
// wrk speaks TLS). One thread, because the
// client has one CPU: this process's, which wrk inherits as its child (the server's CPU is set
// only on the thread that starts a server). wrk counts time in whole seconds, so window is
// rounded, to one second at least.
func runWrk(wrk, url string, conns int, window time.Duration) (*HTTPResult, error) {
	secs := max(1, int(math.Round(window.Seconds())))
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs)*time.Second+wrkGrace)
	defer cancel()
	args := []string{"-t1", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", secs), "--latency", url}
	cmd := exec.CommandContext(ctx, wrk, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("wrk: %w", err)
	}
	clientCPUs, cpusErr := cpusAllowed(cmd.Process.Pid)
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("wrk %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()+stdout.String()))
	}
	res, err := parseWrk(stdout.Bytes())
	if err != nil {
		return nil, err
	}
	res.Client = wrkVersion(wrk)
	res.Conns = conns
	if cpusErr == nil {
		res.ClientCPUs = clientCPUs
	}
	return res, nil
}

// wrkVersion is wrk's name and version as `wrk -v` prints them before its copyright
// ("wrk debian/4.1.0-3+b2 [epoll]"), or "wrk" if it says nothing useful.
func wrkVersion(wrk string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, wrk, "-v").CombinedOutput() // wrk -v exits with status 1
	first, _, _ := strings.Cut(string(out), "\n")
	first, _, _ = strings.Cut(first, " Copyright")
	if !strings.HasPrefix(first, "wrk ") {
		return "wrk"
	}
	return strings.TrimSpace(first)
}

// The lines of `wrk --latency`'s report the bench reads; see testdata/http-wrk-*.txt.
var (
	wrkRequests   = regexp.MustCompile(`^\s*(\d+) requests in ([0-9.]+[a-z]+),`)
	wrkRate       = regexp.MustCompile(`^Requests/sec:\s*([0-9.]+)`)
	wrkPercentile = regexp.MustCompile(`^\s*(50|99)(?:\.0+)?%\s+([0-9.]+[a-z]+)\s*$`)
	wrkSocket     = regexp.MustCompile(`^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx     = regexp.MustCompile(`^\s*Non-2xx or 3xx responses: (\d+)`)
)

// parseWrk reads the figures out of wrk's report. The requests, the rate and the 50th and 99th
// percentiles must be there; the socket-error and non-2xx lines appear only when not zero.
func parseWrk(out []byte) (*HTTPResult, error) {
	res := &HTTPResult{}
	var haveRequests, haveRate, have50, have99 bool
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		var err error
		if m := wrkRequests.FindStringSubmatch(line); m != nil {
			var d time.Duration
			res.Requests, err = strconv.ParseInt(m[1], 10, 64)
			if err == nil {
				d, err = parseWrkTime(m[2])
			}
			res.Seconds, haveRequests = d.Seconds(), true
		} else if m := wrkRate.FindStringSubmatch(line); m != nil {
			res.PerSecond, err = strconv.ParseFloat(m[1], 64)
			haveRate = true
		} else if m := wrkPercentile.FindStringSubmatch(line); m != nil {
			var d time.Duration
			d, err = parseWrkTime(m[2])
			if m[1] == "50" {
				res.P50Micros, have50 = Micros(d), true
			} else {
				res.P99Micros, have99 = Micros(d), true
			}
		} else if m := wrkSocket.FindStringSubmatch(line); m != nil {
			for _, n := range m[1:] {
				var v int64
				if v, err = strconv.ParseInt(n, 10, 64); err != nil {
					break
				}
				res.SocketErrors += v
			}
		} else if m := wrkNon2xx.FindStringSubmatch(line); m != nil {
			res.Non2xx, err = strconv.ParseInt(m[1], 10, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("wrk line %q: %w: %w", line, err, ErrWrkOutput)
		}
	}
	if !haveRequests || !haveRate || !have50 || !have99 {
		return nil, fmt.Errorf("no requests, rate or latency percentiles (run with --latency?) in %q: %w", out, ErrWrkOutput)
	}
	return res, nil
}

// wrkUnits are the units wrk prints times in.
var wrkUnits = map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour}

// parseWrkTime reads a time as wrk prints it: "412.00us", "2.09ms", "2.02s".
func parseWrkTime(s string) (time.Duration, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' })
	if i <= 0 {
		return 0, fmt.Errorf("time %q: %w", s, ErrWrkOutput)
	}
	unit, ok := wrkUnits[s[i:]]
	v, err := strconv.ParseFloat(s[:i], 64)
	if !ok || err != nil || v < 0 {
		return 0, fmt.Errorf("time %q: %w", s, ErrWrkOutput)
	}
	return time.Duration(math.Round(v * float64(unit))), nil
}
