//go:build unix && !linux

// The processor counts on the BSDs and macOS, from sysctl.

package process

import "golang.org/x/sys/unix"

// onlineCPUs is hw.ncpu, the CPUs the kernel uses.
func onlineCPUs() int {
	n, err := unix.SysctlUint32("hw.ncpu")
	if err != nil {
		return 0
	}
	return int(n)
}

// configuredCPUs has nothing more to ask the kernel for than onlineCPUs did.
func configuredCPUs() int { return 0 }
