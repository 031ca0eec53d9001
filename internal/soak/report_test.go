package soak

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestFDLeak(t *testing.T) {
	before := Usage{FDs: 7, Sockets: 1}
	for _, tt := range []struct {
		after Usage
		want  int
	}{
		{Usage{FDs: 7, Sockets: 1}, 0},
		{Usage{FDs: 9, Sockets: 1}, 0}, // the runtime's epoll and eventfd, opened late
		{Usage{FDs: 10, Sockets: 1}, 1},
		{Usage{FDs: 8, Sockets: 2}, 1}, // a connection never closed
		{Usage{FDs: 6, Sockets: 1}, 0},
	} {
		if got := fdLeak(before, tt.after); got != tt.want {
			t.Errorf("fdLeak(%+v, %+v) = %d, want %d", before, tt.after, got, tt.want)
		}
	}
}

func TestRSSLeak(t *testing.T) {
	for _, tt := range []struct {
		first, second, want int64
	}{
		{10 << 10, 18 << 10, 0},         // within 8 MiB
		{10 << 10, 19 << 10, 1 << 10},   // 1 MiB beyond it
		{100 << 10, 125 << 10, 0},       // within a quarter
		{100 << 10, 130 << 10, 5 << 10}, // beyond a quarter
		{100 << 10, 50 << 10, 0},        // shrinking
	} {
		if got := rssLeak(tt.first, tt.second); got != tt.want {
			t.Errorf("rssLeak(%d, %d) = %d, want %d", tt.first, tt.second, got, tt.want)
		}
	}
}

func TestHalvesAndPeak(t *testing.T) {
	start := time.Now()
	at := func(ms int, rss int64, fds int) sample {
		return sample{start.Add(time.Duration(ms) * time.Millisecond), Usage{FDs: fds, RSSKiB: rss}}
	}
	samples := []sample{at(-100, 999, 3), at(0, 10, 4), at(400, 30, 9), at(500, 20, 5), at(900, 25, 5), at(1100, 777, 5)}
	first, second, ok := halves(samples, start, start.Add(time.Second))
	if first != 30 || second != 25 || !ok {
		t.Errorf("halves = %d, %d, %v; want 30, 25, true (samples outside the window left out)", first, second, ok)
	}
	if _, _, ok := halves(samples[:3], start, start.Add(time.Second)); ok {
		t.Error("halves with no sample in the second half: ok, want not")
	}
	if p := peak(samples); p.RSSKiB != 999 || p.FDs != 9 {
		t.Errorf("peak = %+v, want RSS 999 and 9 descriptors", p)
	}
}

func TestRowFailed(t *testing.T) {
	ok := Row{Server: "ch03/epoll", Fault: "traffic", Serving: true}
	if ok.Failed() {
		t.Errorf("%+v failed", ok)
	}
	for name, r := range map[string]Row{
		"mismatch":    {Serving: true, Mismatches: 1},
		"error":       {Serving: true, Errors: 1},
		"died":        {Died: "exit status 2"},
		"not serving": {},
		"fd leak":     {Serving: true, LeakFDs: 1},
		"rss leak":    {Serving: true, LeakRSSKiB: 1},
		"stop":        {Serving: true, Stop: "killed"},
	} {
		if !r.Failed() {
			t.Errorf("%s: %+v does not fail", name, r)
		}
	}
}

func TestReportWrite(t *testing.T) {
	rep := &Report{
		Rows: []Row{
			{Server: "ch03/epoll", Fault: "traffic", Window: 1400 * time.Millisecond, Conns: 10000, Bytes: 3 << 30,
				Serving: true, Before: Usage{FDs: 6, Sockets: 1, RSSKiB: 4096}, Peak: Usage{FDs: 10006, RSSKiB: 90 << 10}, After: Usage{FDs: 6, Sockets: 1, RSSKiB: 88 << 10}},
			{Server: "ch03/epoll", Fault: "exhaust", Conns: 1024, Died: "exit status 2: fatal error: runtime: netpollinit failed"},
			{Server: "ch04/echo", Fault: "churn", Conns: 5000, Bytes: 1 << 20, Serving: true, LeakFDs: 3},
		},
		Elapsed: 75 * time.Second, Window: 1428571 * time.Microsecond, Settle: 5 * time.Second, Conns: 10000, Limit: 256,
		FDLimit: "Soft descriptor limit raised to the hard limit, 20000, here and for the servers",
	}
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"ch03/epoll    traffic    10000  3.00 GiB   0    0 yes  6/10006/6   4/90/88   0",
		"ch03/epoll    exhaust     1024       0 B   0    0 DIED -           -         -    exit status 2: fatal error: runt...",
		"3fd",
		"total                    16024  3.00 GiB   0    0                            3    FAIL: 3 rows, 1 down, 1m15s",
		"Each fault ran 1.429s (plus setup)",
		"(exhaust: 1024\nclients, server under ulimit -n 256). Soft descriptor limit",
		"(up to 5s)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
	if lines := strings.Count(s, "\n"); lines > 1+3+1+7 {
		t.Errorf("report is %d lines for 3 rows; want a row each, a header, a total and a short legend", lines)
	}
	for line := range strings.Lines(s) {
		if utf8.RuneCountInString(line) > 121 {
			t.Errorf("line of %d columns, want at most 120: %q", len(line)-1, line)
		}
	}
}

func TestEchoBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	send, want := Echo.Batch(rng, 8, nil, nil)
	if !bytes.Equal(send, want) || bytes.Count(send, []byte("\n")) != 8 || len(send) > 8*maxLineLen {
		t.Errorf("echo batch of 8: %d bytes, %d lines, answer equal %v", len(send), bytes.Count(send, []byte("\n")), bytes.Equal(send, want))
	}
}

func TestHTTPBatch(t *testing.T) {
	send, want := HTTP.Batch(nil, 2, nil, nil)
	answer := "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\nHello, world"
	if strings.Count(string(send), "GET / HTTP/1.1\r\n") != 2 || string(want) != answer+answer {
		t.Errorf("HTTP batch of 2: sends %q, wants %q", send, want)
	}
	if !strings.Contains(string(HTTP.LastWant), "Connection: close\r\n") {
		t.Errorf("the last answer %q does not close", HTTP.LastWant)
	}
}

func TestLimitedArgv(t *testing.T) {
	got := strings.Join(limitedArgv(256, []string{"/bin/chapters", "run", "ch03/epoll"}), " | ")
	want := `/bin/sh | -c | ulimit -n 256 && exec "$@" | sh | /bin/chapters | run | ch03/epoll`
	if got != want {
		t.Errorf("limitedArgv = %s, want %s", got, want)
	}
}

func TestBytesString(t *testing.T) {
	for n, want := range map[int64]string{
		999: "999 B", 1536: "1.5 KiB", 1024500: "1000 KiB", 3 << 20: "3.0 MiB", 5 << 30: "5.00 GiB",
	} {
		if got := bytesString(n); got != want || len(got) > 9 {
			t.Errorf("bytesString(%d) = %q, want %q in nine columns", n, got, want)
		}
	}
}

func TestClip(t *testing.T) {
	if got := clip("1000 kept, 0 closed, 15 fresh ≤16ms", 35); got != "1000 kept, 0 closed, 15 fresh ≤16ms" {
		t.Errorf("clip of 35 runes to 35 = %q, want it whole", got)
	}
	if got := clip("≤≤≤≤≤≤", 5); got != "≤≤..." || !utf8.ValidString(got) {
		t.Errorf("clip = %q, want two runes and the mark", got)
	}
}
