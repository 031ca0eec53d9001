// Package proctree finds a multi-process server's processes from outside, in /proc: its
// children, what is left in their process groups, and which process holds the server's side of a
// connection. Linux only; elsewhere /proc is missing and every function finds nothing. The
// tests of chapter 5's servers and the soak's kill fault use it.
package proctree

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Children returns the pids of the live processes whose parent is pid (zombies left out).
func Children(pid int) ([]int, error) {
	return matching(func(st stat) bool { return st.ppid == pid && st.state != "Z" })
}

// InGroups returns the pids of the processes, zombies included, whose process group is one of
// pgids: what is left of the process groups a supervisor gave its children (Setpgid), the
// children's own children included.
func InGroups(pgids []int) ([]int, error) {
	return matching(func(st stat) bool { return slices.Contains(pgids, st.pgrp) })
}

// matching returns the pids of the processes whose stat satisfies match.
func matching(match func(stat) bool) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := procStat(p); ok && match(st) {
			out = append(out, p)
		}
	}
	return out, nil
}

// OpenFDs counts the descriptors process pid has open; -1 if it is gone.
func OpenFDs(pid int) int {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(fds)
}

type stat struct {
	state      string
	ppid, pgrp int
}

// procStat reads the state, parent pid and process group of pid from /proc/PID/stat; false if
// it is gone.
func procStat(pid int) (stat, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, false
	}
	// The command name, in parentheses, may hold spaces: the fields start after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	if len(f) < 3 {
		return stat{}, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	return stat{state: f[0], ppid: ppid, pgrp: pgrp}, err1 == nil && err2 == nil
}

// Alive reports whether pid is a live process (not a zombie).
func Alive(pid int) bool {
	st, ok := procStat(pid)
	return ok && st.state != "Z"
}

// Exists reports whether pid is in the process table at all, a zombie included: a child that
// was killed and no longer exists has been reaped by its parent.
func Exists(pid int) bool {
	_, ok := procStat(pid)
	return ok
}

// Holder returns which of pids holds the server's side of a TCP connection on this machine,
// given the server's port and the client's, or 0 if none does.
func Holder(serverPort, clientPort int, pids []int) int {
	return Holders(serverPort, pids)[clientPort]
}

// Holders maps the client port of every TCP connection to serverPort held by one of pids to the
// pid holding it: the sockets' inodes from /proc/net/tcp (and tcp6), then the processes with a
// descriptor on them.
func Holders(serverPort int, pids []int) map[int]int {
	byInode := map[string]int{} // inode -> client port
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
			fl := strings.Fields(sc.Text())
			if len(fl) >= 10 && hexPort(fl[1]) == serverPort && fl[9] != "0" {
				byInode[fl[9]] = hexPort(fl[2])
			}
		}
		f.Close()
	}
	out := map[int]int{}
	for _, pid := range pids {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue // gone
		}
		for _, fd := range fds {
			l, err := os.Readlink(dir + "/" + fd.Name())
			inode, ok := strings.CutPrefix(l, "socket:[")
			if err != nil || !ok {
				continue
			}
			if port, ok := byInode[strings.TrimSuffix(inode, "]")]; ok && port != 0 {
				out[port] = pid
			}
		}
	}
	return out
}

// HolderOf is Holder for the client connection c.
func HolderOf(c net.Conn, pids []int) int {
	local, ok1 := c.LocalAddr().(*net.TCPAddr)
	remote, ok2 := c.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return 0
	}
	return Holder(remote.Port, local.Port, pids)
}

func hexPort(addr string) int {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return -1
	}
	p, err := strconv.ParseUint(addr[i+1:], 16, 16)
	if err != nil {
		return -1
	}
	return int(p)
}
