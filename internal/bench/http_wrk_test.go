package bench

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The samples in testdata are real `wrk -t1 -cN -dDs --latency` reports: against ch00/http,
// against a path it answers 404, and against a server stopped in the middle of the run.
func TestParseWrk(t *testing.T) {
	for _, tc := range []struct {
		file                   string
		want                   HTTPResult
		socketErrors, non2xxes int64
	}{
		{"http-wrk-latency.txt", HTTPResult{Requests: 28060, Seconds: 2.02, PerSecond: 13860.27, P50Micros: 2090, P99Micros: 37820}, 0, 0},
		{"http-wrk-non2xx.txt", HTTPResult{Requests: 13923, Seconds: 1.00, PerSecond: 13855.43, P50Micros: 412, P99Micros: 11660}, 0, 13923},
		{"http-wrk-errors.txt", HTTPResult{Requests: 40374, Seconds: 3.02, PerSecond: 13377.06, P50Micros: 433, P99Micros: 5820}, 20 + 17967, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			out, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseWrk(out)
			if err != nil {
				t.Fatal(err)
			}
			w := tc.want
			if got.Requests != w.Requests || !near(got.Seconds, w.Seconds) || !near(got.PerSecond, w.PerSecond) ||
				!near(got.P50Micros, w.P50Micros) || !near(got.P99Micros, w.P99Micros) {
				t.Errorf("got %+v\nwant %+v", got, w)
			}
			if got.SocketErrors != tc.socketErrors || got.Non2xx != tc.non2xxes {
				t.Errorf("socket errors %d, non-2xx %d; want %d, %d", got.SocketErrors, got.Non2xx, tc.socketErrors, tc.non2xxes)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

// Without --latency, or with anything but wrk's report, there is nothing to read: an error.
func TestParseWrkIncomplete(t *testing.T) {
	full, err := os.ReadFile(filepath.Join("testdata", "http-wrk-latency.txt"))
	if err != nil {
		t.Fatal(err)
	}
	noLatency := []byte("Running 1s test @ http://127.0.0.1:1/\n  1 threads and 1 connections\n  100 requests in 1.00s, 10KB read\nRequests/sec:    100.00\n")
	for name, out := range map[string][]byte{"empty": nil, "no --latency": noLatency, "cut short": full[:len(full)/2]} {
		if _, err := parseWrk(out); !errors.Is(err, ErrWrkOutput) {
			t.Errorf("%s: error %v, want ErrWrkOutput", name, err)
		}
	}
}

func TestParseWrkTime(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"412.00us": 412 * time.Microsecond, "2.09ms": 2090 * time.Microsecond, "2.02s": 2020 * time.Millisecond,
		"1.50m": 90 * time.Second, "0.00us": 0,
	} {
		if got, err := parseWrkTime(in); err != nil || got != want {
			t.Errorf("parseWrkTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ms", "12", "1.2xs", "-1ms"} {
		if _, err := parseWrkTime(bad); !errors.Is(err, ErrWrkOutput) {
			t.Errorf("parseWrkTime(%q) error %v, want ErrWrkOutput", bad, err)
		}
	}
}

// The version wrk reports, without its copyright; a program that is not wrk gives "wrk".
func TestWrkVersion(t *testing.T) {
	if got := wrkVersion("/bin/true"); got != "wrk" {
		t.Errorf("wrkVersion(/bin/true) = %q, want wrk", got)
	}
	path, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk is not installed (apt-get install wrk; CI installs it)")
	}
	if got := wrkVersion(path); len(got) <= len("wrk ") || got[:4] != "wrk " {
		t.Errorf("wrkVersion = %q, want wrk and its version", got)
	}
}
