package bench

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
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

// ReadTree adds a child process's memory and threads, and its CPU to the nanosecond: a child
// that burned 50 ms adds about 5 ticks, where its own stat could round to fewer.
func TestReadTreeCountsChildren(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc on this system")
	}
	// The shell burns CPU until it is killed.
	cmd := exec.Command("/bin/sh", "-c", "while :; do :; done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for runNanos(cmd.Process.Pid) < 50e6 {
		if time.Now().After(deadline) {
			t.Fatal("the child did not burn 50 ms of CPU in 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	self, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	tree, err := ReadTree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if tree.Threads <= self.Threads || tree.RSSKiB <= self.RSSKiB || tree.CPUTicks < self.CPUTicks+5 {
		t.Errorf("ReadTree = %+v, Read = %+v: want the child's thread, memory and ~5 ticks of CPU added", tree, self)
	}
}
