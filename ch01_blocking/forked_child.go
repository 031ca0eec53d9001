// The child's side of NewForked: a program started again by a forked server finds its connection
// on descriptor 3, serves it with Echo and exits, before its main runs.

package blocking

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// ForkedChildEnv is set in the environment of each child a forked server starts, to the number
// of the descriptor holding its connection. The child's pipe to the parent is the next one.
const ForkedChildEnv = "TORNADOTCP_CH01_CONN_FD"

const childConnFD, childWatchFD = 3, 4

// The switch to the child's side is this package's init, not a call the program makes in main.
// A program can start a forked server only if it links this package, and then this init runs
// first in every re-executed child, whatever the program is: the chapters command, a test binary
// (before TestMain and its flags), the bench. No main needs to remember a call, and no child
// runs the program's main or its tests again. Packages that import this one are initialised
// after it, so a child never reaches their init; packages it does not depend on may come before
// (Go orders them by import path): the project's other init functions only register servers.
func init() {
	v, ok := os.LookupEnv(ForkedChildEnv)
	if !ok {
		return
	}
	// Cleared, so that a program this child starts is not taken for a child in its turn.
	os.Unsetenv(ForkedChildEnv)
	os.Exit(serveChild(v))
}

// serveChild serves the inherited connection and returns the exit status.
func serveChild(v string) int {
	if fd, err := strconv.Atoi(v); err != nil || fd != childConnFD {
		fmt.Fprintf(os.Stderr, "%s=%q: this program was started as a forked server's child, "+
			"which finds its connection on descriptor %d; unset it\n", ForkedChildEnv, v, childConnFD)
		return 2
	}
	go watchParent()
	err := Echo(childConnFD)
	unix.Close(childConnFD)
	if err != nil && !PeerGone(err) {
		// The parent's Logger is in another process: the line goes to the standard error both
		// share, and the exit status tells the parent, which logs it with the client's address.
		slog.Warn("closing connection", "pid", os.Getpid(), "err", err)
		return 1
	}
	return 0
}

// watchParent waits for EOF on the pipe from the parent, which comes when the parent stops the
// server or dies, and then wakes Echo with shutdown(2), as Stop does on the threaded server.
func watchParent() {
	buf := make([]byte, 1)
	for {
		n, err := Recv(childWatchFD, buf)
		if n == 0 || err != nil {
			unix.Shutdown(childConnFD, unix.SHUT_RDWR)
			return
		}
	}
}
