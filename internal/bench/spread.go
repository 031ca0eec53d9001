// Spread and the thundering herd: how a multi-process server's connections fall over its
// children, and how many children wake for each one (chapter 5).

package bench

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"tornadotcp/internal/echoclient"
)

// KindSpread opens Conns connections one after another, each asking "whoami" and held open,
// so every child is idle in its loop when the next connection arrives; then asks every child,
// on a connection it holds, for its accept counts ("accepts", internal/catalog/ch05.go).
const KindSpread Kind = "spread"

// Spread runs the spread scenario with n connections.
func Spread(n int) Scenario { return Scenario{Kind: KindSpread, Conns: n} }

// ErrSpreadAnswer is an answer to "whoami" or "accepts" that does not parse.
var ErrSpreadAnswer = errors.New("unexpected answer")

// SpreadResult is how the connections fell, and what the children's accept handlers did.
type SpreadResult struct {
	Conns    int            `json:"conns"`
	ByTask   map[string]int `json:"by_task"` // connections per child, by its whoami task
	Events   int64          `json:"events"`  // readable events on the listener, over the children
	Accepted int64          `json:"accepted"`
	EAGAIN   int64          `json:"eagain"` // accept calls answered EAGAIN, over the children
	// WakeupsPerConn is Events / Accepted: 1 when exactly one child wakes per connection.
	WakeupsPerConn float64 `json:"wakeups_per_conn"`
	// EAGAINPerConn is EAGAIN / Accepted: 1 when only the child that accepts asks again (the
	// call that finds the queue empty), more for every child woken in vain.
	EAGAINPerConn float64 `json:"eagain_per_conn"`
	// SwitchesPerConn is the voluntary context switches of every thread of the server's
	// processes while the connections were made, per connection: each is a thread that slept
	// and was woken. A child woken for a connection another took is counted here even when the
	// kernel finds the listener empty again before epoll_wait returns, which no EAGAIN shows.
	SwitchesPerConn float64 `json:"switches_per_conn"`
}

// split is the connections per process, in task order: "52/48".
func split(byTask map[string]int) string {
	tasks := slices.SortedFunc(maps.Keys(byTask), func(a, b string) int {
		return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
	})
	var parts []string
	for _, t := range tasks {
		parts = append(parts, fmt.Sprint(byTask[t]))
	}
	return strings.Join(parts, "/")
}

func runSpread(p *Proc, sc Scenario) Result {
	r := Result{Server: p.ID, Scenario: sc}
	res := &SpreadResult{Conns: sc.Conns, ByTask: map[string]int{}}
	var conns []*echoclient.Conn
	defer func() { closeAll(conns) }()
	owner := map[string]*echoclient.Conn{} // a connection held by each pid
	switchesBefore := voluntarySwitches(p.PID)
	for range sc.Conns {
		c, err := echoclient.Dial(p.Addr, dialTimeout)
		if err != nil {
			return failed(p, r, err)
		}
		conns = append(conns, c)
		task, pid, err := ask(c, "whoami")
		if err != nil {
			return failed(p, r, err)
		}
		res.ByTask[task]++
		owner[pid] = c
	}
	res.SwitchesPerConn = float64(voluntarySwitches(p.PID)-switchesBefore) / float64(sc.Conns)
	for pid, c := range owner {
		fields, _, err := ask(c, "accepts")
		if err != nil {
			return failed(p, r, fmt.Errorf("pid %s: %w", pid, err))
		}
		var e, a, w int64
		if _, err := fmt.Sscanf(fields, "accepts events=%d accepted=%d eagain=%d", &e, &a, &w); err != nil {
			return failed(p, r, fmt.Errorf("pid %s answered %q: %w", pid, fields, ErrSpreadAnswer))
		}
		res.Events, res.Accepted, res.EAGAIN = res.Events+e, res.Accepted+a, res.EAGAIN+w
	}
	if res.Accepted > 0 {
		res.WakeupsPerConn = float64(res.Events) / float64(res.Accepted)
		res.EAGAINPerConn = float64(res.EAGAIN) / float64(res.Accepted)
	}
	r.Spread = res
	return r
}

// voluntarySwitches sums voluntary_ctxt_switches over every thread of pid and its descendants
// (/proc/PID/task/TID/status: the process's own status counts its first thread only).
func voluntarySwitches(pid int) int64 {
	var total int64
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		for l := range strings.Lines(string(data)) {
			if v, ok := strings.CutPrefix(l, "voluntary_ctxt_switches:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				total += n
			}
		}
	}
	for _, child := range childPIDs(pid) {
		total += voluntarySwitches(child)
	}
	return total
}

// ask sends line on c and returns the answer, and the pid it names ("task=0 pid=12": "task=0",
// "12"; "accepts ... pid=12": the whole line, "12").
func ask(c *echoclient.Conn, line string) (string, string, error) {
	if err := c.SetDeadline(time.Now().Add(serveTimeout)); err != nil {
		return "", "", err
	}
	if err := c.Send([]byte(line + "\n")); err != nil {
		return "", "", err
	}
	in, err := c.ReadLine()
	if err != nil {
		return "", "", err
	}
	answer := strings.TrimSpace(string(in))
	head, pid, ok := strings.Cut(answer, " pid=")
	if !ok {
		return "", "", fmt.Errorf("%s: %q: %w", line, answer, ErrSpreadAnswer)
	}
	if line == "whoami" {
		return head, pid, nil
	}
	return answer, pid, nil
}
