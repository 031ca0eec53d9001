// Counting OS threads, the resource a thread-per-connection server spends.

package blocking

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// OSThreads returns the number of OS threads of process pid (0 means this process), read from
// the "Threads:" line of /proc/PID/status. Linux only; elsewhere it returns an error.
func OSThreads(pid int) (int, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if value, ok := bytes.CutPrefix(sc.Bytes(), []byte("Threads:")); ok {
			return strconv.Atoi(string(bytes.TrimSpace(value)))
		}
	}
	return 0, fmt.Errorf("%s: no Threads line", path)
}
