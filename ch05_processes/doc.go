// Package process runs a server in several processes: CPUCount, ForkProcesses and TaskID, and a
// TCPServer whose Start(n) forks. It mirrors tornado/process.py (3.2) and the process half of
// tornado/tcpserver.py's start, and the tutorial's section "TCPServer的三种形式" (the three ways
// to start a TCPServer), two of which fork.
//
// Go cannot fork(2) a process that runs its runtime: the child would hold only the thread that
// called fork, and none of the runtime's. So a "child" here is the same program executed again
// (/proc/self/exe, the same arguments), with the parent's listening sockets inherited as
// descriptors 5, 6, ... after two pipes (chapter 4's ListeningSockets and InheritSockets) and its
// task id in the environment. The package's init reads that environment before main runs, so
// chapter 4's BindSockets in the child adopts the inherited sockets instead of binding again, and
// ForkProcesses in the child returns the task id at once. A program therefore reads as Tornado's
// does; what differs is that the child starts from main, so everything the program does before
// ForkProcesses it does again in every child, and again at every restart.
//
// The parent supervises: restarts a child that dies by a signal or exits non-zero, with the
// same task id; does not restart one that exits 0; exits 0 when none is left. Unlike Tornado's
// parent, it also stops its children (SIGTERM, then SIGKILL after a grace period) when it is
// told to stop with SIGINT or SIGTERM, when it gives up after too many restarts, and, through
// the kernel's parent-death signal and a pipe each child watches, when it dies: no child
// outlives it.
package process
