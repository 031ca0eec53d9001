// The number of processors. Mirrors tornado/process.py cpu_count (3.2).

package process

import "log/slog"

// CPUCount is the number of processors online, as Tornado's cpu_count asks Python's
// multiprocessing for it: every CPU the machine has online, not the ones this process may run on.
// runtime.NumCPU counts the affinity mask instead, so a parent pinned to one CPU (taskset -c 0)
// would start one child. Where the online count cannot be read, it falls back on the CPUs
// configured (Tornado's sysconf("SC_NPROCESSORS_CONF")), and failing that logs "Could not
// detect number of processors; assuming 1", as Tornado does, and returns 1.
func CPUCount() int {
	if n := onlineCPUs(); n > 0 {
		return n
	}
	if n := configuredCPUs(); n > 0 {
		return n
	}
	slog.Error("Could not detect number of processors; assuming 1")
	return 1
}
