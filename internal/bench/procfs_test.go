package bench

import (
	"errors"
	"os"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want int64
	}{
		{
			name: "plain command",
			stat: "4242 (chapters) S 1 4242 4242 0 -1 4194560 1234 0 0 0 57 13 0 0 20 0 5 0 12345 1000000 900 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
			want: 57 + 13,
		},
		{
			name: "command with spaces and parentheses",
			stat: "77 (my (odd) server) R 1 77 77 0 -1 0 0 0 0 0 250 750 0 0 20 0 1 0 1 1 1",
			want: 1000,
		},
		{
			name: "command that looks like fields",
			stat: "9 (a) S 1 2 3 4) S 1 9 9 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1",
			want: 7,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatCPU([]byte(tt.stat))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseStatCPU = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseStatCPUErrors(t *testing.T) {
	for _, stat := range []string{
		"",
		"12 no parentheses S 1 2",
		"12 (short) S 1 2 3",
		"12 (bad) S 1 2 3 4 5 6 7 8 9 10 x 1 2 3",
	} {
		if _, err := ParseStatCPU([]byte(stat)); !errors.Is(err, ErrProcFormat) {
			t.Errorf("ParseStatCPU(%q) error = %v, want ErrProcFormat", stat, err)
		}
	}
}

func TestParseStatus(t *testing.T) {
	status := "Name:\tchapters\nState:\tS (sleeping)\nVmPeak:\t  800000 kB\nVmRSS:\t    7420 kB\nRssAnon:\t 3000 kB\nThreads:\t12\nCpus_allowed_list:\t0\n"
	rss, threads, err := ParseStatus([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if rss != 7420 || threads != 12 {
		t.Errorf("ParseStatus = %d KiB, %d threads; want 7420 KiB, 12 threads", rss, threads)
	}
	for _, bad := range []string{"Name:\tx\nThreads:\t3\n", "VmRSS:\t12 MB\nThreads:\t1\n", "VmRSS:\t12 kB\nThreads:\tmany\n"} {
		if _, _, err := ParseStatus([]byte(bad)); !errors.Is(err, ErrProcFormat) {
			t.Errorf("ParseStatus(%q) error = %v, want ErrProcFormat", bad, err)
		}
	}
}

// TestReadSelf reads this very process: the parsers agree with the real files.
func TestReadSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	s, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSSKiB <= 0 || s.Threads <= 0 || s.CPUTicks < 0 {
		t.Errorf("Read(self) = %+v, want positive RSS and threads", s)
	}
}
