// Asking a chapter 5 server which child serves.

package testutil

import (
	"net"
	"testing"
	"time"

	"tornadotcp/internal/echoclient"
)

// Whoami connects to addr, sends "whoami" and returns the answer's task ("none" where the
// server did not fork) and pid; anything else fails t.
func Whoami(t testing.TB, addr string) (task string, pid int) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return WhoamiOn(t, c)
}

// WhoamiOn is Whoami on the connection c, made by the caller (over TLS, say), which it closes.
func WhoamiOn(t testing.TB, c net.Conn) (task string, pid int) {
	t.Helper()
	task, pid, err := echoclient.Whoami(c, 30*time.Second)
	if err != nil {
		t.Fatalf("whoami: %v", err)
	}
	return task, pid
}
