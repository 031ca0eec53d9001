// The processor counts on Linux, from sysfs, where glibc's sysconf reads them too.

package process

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// onlineCPUs counts the CPUs in /sys/devices/system/cpu/online, a list of ranges ("0-3,6"),
// which is what sysconf(_SC_NPROCESSORS_ONLN) reads. Zero when it cannot be read.
func onlineCPUs() int {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return 0
	}
	return countCPUList(strings.TrimSpace(string(b)))
}

// countCPUList counts the CPUs in a sysfs CPU list such as "0-3,6"; zero if it is malformed.
func countCPUList(list string) int {
	n := 0
	for part := range strings.SplitSeq(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || b < a {
			return 0
		}
		n += b - a + 1
	}
	return n
}

// configuredCPUs counts the cpuN directories of /sys/devices/system/cpu, as
// sysconf(_SC_NPROCESSORS_CONF) does. Zero when there are none.
func configuredCPUs() int {
	dirs, _ := filepath.Glob("/sys/devices/system/cpu/cpu[0-9]*")
	return len(dirs)
}
