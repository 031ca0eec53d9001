// Counting a process's open descriptors from /proc/PID/fd (Linux).

package bench

import (
	"fmt"
	"os"
	"strings"
)

// Descriptors is what a process has open: every descriptor, and how many of them are sockets.
type Descriptors struct {
	Total   int
	Sockets int // links that read "socket:[inode]": listeners and connections
}

// ReadDescriptors lists /proc/PID/fd. A descriptor closed while the directory is read is not
// counted, so a busy process gives a count that was true at some moment during the call.
func ReadDescriptors(pid int) (Descriptors, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Descriptors{}, err
	}
	var d Descriptors
	for _, e := range entries {
		target, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue
		}
		d.Total++
		if strings.HasPrefix(target, "socket:") {
			d.Sockets++
		}
	}
	return d, nil
}
