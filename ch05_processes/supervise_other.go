//go:build unix && !linux

// The children's process attributes off Linux, which has no parent-death signal: the pipe each
// child watches (child.go) is the only news of the parent's death there.

package process

import "syscall"

// sysProcAttr puts each child in a process group of its own (see supervise_linux.go).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
