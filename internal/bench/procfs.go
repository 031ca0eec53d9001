// Reading a process's CPU time, memory and thread count from /proc (Linux).

package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ClockTicks is the unit of utime and stime in /proc/PID/stat: sysconf(_SC_CLK_TCK), which is 100
// on every Linux the Go toolchain supports. Go cannot call sysconf without cgo, so it is stated
// here and recorded with the results. One tick is 10 ms of CPU.
const ClockTicks = 100

// ErrProcFormat is wrapped by every failure to understand a /proc file.
var ErrProcFormat = errors.New("unexpected /proc format")

// Sample is one reading of a process's resources.
type Sample struct {
	CPUTicks int64 // utime + stime, user and system CPU of every thread, live or gone
	RSSKiB   int64 // VmRSS
	Threads  int   // OS threads
}

// CPUSeconds converts the sample's ticks to seconds.
func (s Sample) CPUSeconds() float64 { return float64(s.CPUTicks) / ClockTicks }

// Read samples process pid.
func Read(pid int) (Sample, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Sample{}, err
	}
	ticks, err := ParseStatCPU(stat)
	if err != nil {
		return Sample{}, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Sample{}, err
	}
	rss, threads, err := ParseStatus(status)
	if err != nil {
		return Sample{}, err
	}
	return Sample{CPUTicks: ticks, RSSKiB: rss, Threads: threads}, nil
}

// ReadTree samples process pid and its live descendants, summed: a server that serves each
// client from a child process (ch01/forked) spends its memory, threads and CPU there. The CPU of
// a child already reaped is not counted; the scenarios keep their connections, and so their
// children, until the last sample. No other server of the plan has children.
//
// A descendant's CPU is read in nanoseconds from its threads' schedstat, not in ticks from its
// stat: stat rounds each process down to a whole tick (10 ms), and a hundred children that each
// spent a few milliseconds would add up to nothing.
func ReadTree(pid int) (Sample, error) {
	total, err := Read(pid)
	if err != nil {
		return Sample{}, err
	}
	var nanos int64
	var walk func(pid int)
	walk = func(pid int) {
		for _, child := range childPIDs(pid) {
			s, err := Read(child)
			if err != nil {
				continue // it ended meanwhile
			}
			total.RSSKiB += s.RSSKiB
			total.Threads += s.Threads
			nanos += runNanos(child)
			walk(child)
		}
	}
	walk(pid)
	total.CPUTicks += nanos * ClockTicks / 1e9
	return total, nil
}

// runNanos is the CPU time of every live thread of process pid, in nanoseconds: the first field
// of /proc/PID/task/TID/schedstat.
func runNanos(pid int) int64 {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var total int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if fields := strings.Fields(string(data)); len(fields) > 0 {
			n, _ := strconv.ParseInt(fields[0], 10, 64)
			total += n
		}
	}
	return total
}

// childPIDs lists pid's children from /proc/PID/task/TID/children, one file per thread: a
// child belongs to the thread that started it.
func childPIDs(pid int) []int {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(data)) {
			if n, err := strconv.Atoi(field); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// ParseStatCPU returns utime + stime from the contents of /proc/PID/stat. The second field is
// the command name in parentheses, and the name itself may hold spaces and parentheses, so the
// fields are counted from the last ')' in the line: after it come state (field 3), ..., utime
// (field 14) and stime (field 15).
func ParseStatCPU(stat []byte) (int64, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("stat: no ')' after the command name: %w", ErrProcFormat)
	}
	fields := bytes.Fields(stat[end+1:])
	const utime, stime = 14 - 3, 15 - 3 // indices in fields, which start at field 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("stat: %d fields after the command name, want more than %d: %w", len(fields), stime, ErrProcFormat)
	}
	var total int64
	for _, i := range []int{utime, stime} {
		n, err := strconv.ParseInt(string(fields[i]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat field %d: %w: %w", i+3, err, ErrProcFormat)
		}
		total += n
	}
	return total, nil
}

// ParseStatus returns VmRSS (KiB) and Threads from the contents of /proc/PID/status.
func ParseStatus(status []byte) (rssKiB int64, threads int, err error) {
	var haveRSS, haveThreads bool
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := bytes.Fields(v)
			if len(f) != 2 || string(f[1]) != "kB" {
				return 0, 0, fmt.Errorf("status: VmRSS %q: %w", v, ErrProcFormat)
			}
			if rssKiB, err = strconv.ParseInt(string(f[0]), 10, 64); err != nil {
				return 0, 0, fmt.Errorf("status: VmRSS: %w: %w", err, ErrProcFormat)
			}
			haveRSS = true
		}
		if v, ok := bytes.CutPrefix(line, []byte("Threads:")); ok {
			if threads, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return 0, 0, fmt.Errorf("status: Threads: %w: %w", err, ErrProcFormat)
			}
			haveThreads = true
		}
	}
	if !haveRSS || !haveThreads {
		return 0, 0, fmt.Errorf("status: no VmRSS or Threads line: %w", ErrProcFormat)
	}
	return rssKiB, threads, nil
}
