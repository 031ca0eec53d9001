// The machine the results were measured on, recorded beside them.

package bench

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Machine describes where and how a run was made.
type Machine struct {
	CPUs       int      `json:"cpus"` // CPUs this process could use when it started
	CPUModel   string   `json:"cpu_model,omitempty"`
	Kernel     string   `json:"kernel"`
	OS         string   `json:"os"`
	Arch       string   `json:"arch"`
	GoVersion  string   `json:"go_version"`
	Date       string   `json:"date"`        // RFC 3339, UTC
	ClockTicks int      `json:"clock_ticks"` // per second, the unit of /proc's CPU times
	Pinning    *Pinning `json:"pinning"`
}

// describeMachine fills in everything but Pinning.
func describeMachine(now time.Time) Machine {
	m := Machine{
		CPUs:       runtime.NumCPU(),
		CPUModel:   cpuModel(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		GoVersion:  runtime.Version(),
		Date:       now.UTC().Format(time.RFC3339),
		ClockTicks: ClockTicks,
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m.Kernel = unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:])
	}
	return m
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "" where there is none.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return ""
}
