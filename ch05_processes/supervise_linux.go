// The children's process attributes on Linux.

package process

import "syscall"

// sysProcAttr puts each child in a process group of its own, so that a terminal's Ctrl-C
// (SIGINT to the foreground group) reaches the parent only, which then stops the children; and
// asks the kernel to send the child SIGTERM when its parent goes (see spawner for the thread
// this hangs on).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
