// Chapter 2's lesson, continued: select(2)'s FD_SETSIZE wall. A select server in a child process
// is sent more clients than it has descriptor numbers below 1024; the later ones are refused,
// and the server lives on.

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	nonblocking "tornadotcp/ch02_nonblocking"
	"tornadotcp/internal/echoclient"
)

// wallPlan bounds the run against the wall.
type wallPlan struct {
	Clients int           // clients connected one after another, the served ones kept open
	Within  time.Duration // and for at most this long
}

// wallFacts is what the run against the wall measured.
type wallFacts struct {
	Pid          int
	Addr         string
	Own          []string      // descriptors below FD_SETSIZE the child had open before any client
	Clients      int           // clients that connected
	Served       int           // echoed, and kept open
	Refused      int           // closed by the server instead of echoed
	FirstRefused int           // the first refused client, counting from 1; 0 if none was
	StillServing bool          // client 1 was echoed again after the refusals
	Log          string        // the server's first log line about the wall, without its date
	LogLines     int           // its log lines about the wall
	LogCount     int           // the refusals those lines count
	RefusedFD    int           // the descriptor that line names: the first one select could not watch
	Took         time.Duration // to connect and try every client
}

// errNoWall means the server refused nobody, or refused clients and then served others: it did
// not stop at a wall.
var errNoWall = errors.New("no FD_SETSIZE wall")

// selectWall runs server id (ch02/select) as a child process, so that its descriptor numbers
// are its own, and connects plan.Clients clients one after another. Each sends a line: a served
// client gets it back and stays connected, holding a descriptor in the server; a refused one
// finds its connection closed (EOF or reset) and is let go. Then client 1 is tried again.
func selectWall(env *tourEnv, id string, plan wallPlan) (wallFacts, error) {
	var f wallFacts
	c, err := startChild(env, 10*time.Second, "run", id, "-addr", "127.0.0.1:0")
	if err != nil {
		return f, err
	}
	defer c.Stop()
	f.Pid, f.Addr = c.Pid, c.Addr
	if f.Own, err = descriptorsBelow(c.Pid, nonblocking.FDSetSize); err != nil {
		return f, err
	}
	var kept []*echoclient.Conn
	defer func() {
		for _, cl := range kept {
			cl.Close()
		}
	}()

	env.say("")
	env.say("  %s (pid %d, %s) sleeps in select(2), whose descriptor sets are bitmaps of",
		id, c.Pid, c.Addr)
	env.say("  FD_SETSIZE = 1024 bits: descriptor 1024 has no bit. "+
		"%d clients connect, one after another:", plan.Clients)
	start := time.Now()
	deadline := start.Add(plan.Within)
	for f.Clients < plan.Clients && time.Now().Before(deadline) {
		cl, err := echoclient.Dial(c.Addr, 2*time.Second)
		if err != nil {
			return f, fmt.Errorf("client %d: %w", f.Clients+1, err)
		}
		f.Clients++
		_, err = roundTrip(cl, fmt.Sprintf("client %d\n", f.Clients), 2*time.Second)
		switch {
		case err == nil:
			kept = append(kept, cl)
			f.Served++
			if f.FirstRefused > 0 {
				return f, fmt.Errorf("%w: client %d was served after client %d was refused",
					errNoWall, f.Clients, f.FirstRefused)
			}
		case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
			cl.Close()
			f.Refused++
			if f.FirstRefused == 0 {
				f.FirstRefused = f.Clients
			}
		default:
			cl.Close()
			return f, fmt.Errorf("client %d: %w", f.Clients, err)
		}
	}
	f.Took = time.Since(start)
	if f.Refused == 0 {
		return f, fmt.Errorf("%w: all %d clients were served", errNoWall, f.Served)
	}
	if f.Served > 0 {
		_, err := roundTrip(kept[0], "still there?\n", 2*time.Second)
		f.StillServing = err == nil
	}
	if !f.StillServing {
		return f, fmt.Errorf("after %d refusals the server no longer served client 1", f.Refused)
	}

	// The child logs its refusals at most once a second and holds the rest, so it is stopped
	// the way `chapters run` expects (SIGTERM), which writes what is held, and its standard
	// error is read once it has exited.
	if err := syscall.Kill(c.Pid, syscall.SIGTERM); err != nil {
		return f, fmt.Errorf("stopping the child: %w", err)
	}
	exit, stderr, err := c.Wait(5 * time.Second)
	if err != nil {
		return f, err
	}
	if exit != nil {
		return f, fmt.Errorf("the child ended with %v after SIGTERM: %s", exit, firstLine(stderr))
	}
	f.Log, f.LogLines, f.LogCount = wallLog(stderr)
	if m := refusedFD.FindStringSubmatch(f.Log); m != nil {
		f.RefusedFD, _ = strconv.Atoi(m[1])
	}
	env.say("    clients 1 to %d were echoed and stayed; "+
		"clients %d to %d were closed as soon as they were accepted",
		f.Served, f.FirstRefused, f.Clients)
	env.say("    client 1 was echoed again afterwards: the server stayed up (%d clients in %s)",
		f.Clients, roundDuration(f.Took))
	if f.Log != "" {
		env.say("    its log counted %d refusals in %d lines (at most one a second); the first:",
			f.LogCount, f.LogLines)
		env.say("      %s", f.Log)
	}
	env.say("  The wall counts descriptor numbers, not clients. "+
		"Before the first client the child had %d", len(f.Own))
	env.say("  descriptors open (/proc/%d/fd):", f.Pid)
	for _, line := range wrapList(f.Own, 88) {
		env.say("      %s", line)
	}
	env.say("  standard input, output and error, the listener, " +
		"the two ends of the pipe that wakes select,")
	env.say("  and whatever else the process had open. "+
		"That left %d numbers below %d: %d clients were served.",
		nonblocking.FDSetSize-len(f.Own), nonblocking.FDSetSize, f.Served)
	env.say("  poll(2) takes a list, not a bitmap, and has no wall; " +
		"but like select it hands the kernel every")
	env.say("  descriptor on every call. " +
		"Chapter 3's epoll removes that cost: `go run ./chapters bench` measures it.")
	return f, nil
}

// descriptorsBelow lists the descriptors process pid has open whose number is below limit, in
// order, each as its number and what it is: "0 /dev/null", "5 socket". It reads /proc/PID/fd,
// whose entries are links named by descriptor number.
func descriptorsBelow(pid, limit int) ([]string, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing the child's descriptors (this needs Linux's /proc): %w", err)
	}
	var fds []int
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd < limit {
			fds = append(fds, fd)
		}
	}
	slices.Sort(fds)
	list := make([]string, 0, len(fds))
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("%s/%d", dir, fd))
		if err != nil {
			return nil, err
		}
		// "pipe:[1234]" and "socket:[1234]" name an inode; the kind is enough here.
		target, _, _ = strings.Cut(target, ":[")
		list = append(list, fmt.Sprintf("%d %s", fd, target))
	}
	return list, nil
}

// wrapList joins items with ", " into lines of at most width characters (longer when one item
// is).
func wrapList(items []string, width int) []string {
	var lines []string
	var line string
	for i, item := range items {
		if i < len(items)-1 {
			item += ","
		}
		switch {
		case line == "":
			line = item
		case len(line)+1+len(item) <= width:
			line += " " + item
		default:
			lines = append(lines, line)
			line = item
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// refusedFD finds the descriptor number in the select server's refusal: "fd 1024: ...".
var refusedFD = regexp.MustCompile(`\bfd (\d+): `)

// wallLog reads a select server's standard error: the first line that speaks of FD_SETSIZE,
// without the log's date and time, how many such lines there are, and how many refusals they
// count together (a line ending "times=7" counts 7, a line without a count 1).
func wallLog(stderr []byte) (first string, lines, refusals int) {
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "FD_SETSIZE") {
			continue
		}
		lines++
		if m := timesSince.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			refusals += n
		} else {
			refusals++
		}
		if first == "" {
			first = logDate.ReplaceAllString(line, "")
		}
	}
	return first, lines, refusals
}

// timesSince finds the count in a line that stands for several refusals.
var timesSince = regexp.MustCompile(` times=(\d+)$`)

// logDate is the date and time that slog's default logger starts a line with.
var logDate = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d `)
