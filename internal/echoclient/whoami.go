// Asking a chapter 5 server which process serves a connection: "whoami", answered "task=N pid=P"
// (task=none where the server did not fork). The tests, the soak and the tour all ask it.

package echoclient

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"time"
)

// Whoami sends "whoami" on c and reads the answer within timeout, then closes c.
func Whoami(c net.Conn, timeout time.Duration) (task string, pid int, err error) {
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", 0, err
	}
	if _, err := io.WriteString(c, "whoami\n"); err != nil {
		return "", 0, err
	}
	a, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", 0, err
	}
	if _, err := fmt.Sscanf(a, "task=%s pid=%d", &task, &pid); err != nil {
		return "", 0, fmt.Errorf("whoami answered %q: %w", a, err)
	}
	return task, pid, nil
}

// DialWhoami is Whoami on a new TCP connection to addr.
func DialWhoami(addr string, timeout time.Duration) (task string, pid int, err error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", 0, err
	}
	return Whoami(c, timeout)
}
