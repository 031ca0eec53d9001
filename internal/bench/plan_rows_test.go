// The plan's rows for chapters 2 and 3: what each server runs, and what select's wall allows.

package bench

import (
	"slices"
	"testing"

	nonblocking "tornadotcp/ch02_nonblocking"
	"tornadotcp/internal/catalog"
)

// TestDefaultPlanChapterRows: the scenarios each chapter's comparison needs are in the plan, the
// baseline and the threaded server among them, and ch01/threaded's 10,000 idle connections are
// kept, to be recorded as its death.
func TestDefaultPlanChapterRows(t *testing.T) {
	want := map[string][]Scenario{
		"ch00/net":      {Idle(10000), PingPong(1000), WatchCost(0), WatchCost(1000), WatchCost(10000)},
		"ch01/threaded": {Idle(10000)},
		"ch02/busypoll": singleThreadPlan,
		"ch02/select":   singleThreadPlan,
		"ch02/poll":     slices.Concat(singleThreadPlan, []Scenario{WatchCost(10000)}),
		"ch03/epoll": {Idle(100), Idle(1000), Idle(10000), IdleCPU(), PingPong(1), PingPong(100), PingPong(1000),
			WatchCost(0), WatchCost(1000), WatchCost(10000)},
		"ch03/poll": {PingPong(1), PingPong(100), WatchCost(0), WatchCost(1000), WatchCost(10000), IdleCPU()},
		CEpoll:      {PingPong(1), PingPong(100), PingPong(1000), Idle(10000)},
		GnetEcho:    {PingPong(1), PingPong(100), PingPong(1000), Idle(10000)},
		NginxHTTP:   {HTTP(50)},
		// Chapter 5: the efficiency comparison, scaling and spread.
		"ch01/forked":              {Idle(100), Idle(1000), PingPong(1), PingPong(100), PingPong(1000)},
		"ch05/bind-start":          {Idle(10000), PingPong(1), PingPong(100), PingPong(1000)},
		"ch05/bind-start -procs 1": {Burn(16)},
		"ch05/bind-start -procs 2": {Burn(16), Spread(200)},
		"ch05/reuseport -procs 2":  {Burn(16), Spread(200)},
	}
	for _, row := range DefaultPlan {
		id, flags := SplitLabel(row.Server)
		e, err := catalog.Lookup(id)
		if err != nil && !IsExternal(row.Server) {
			t.Errorf("plan row %s: %v", row.Server, err)
		}
		if len(flags) > 0 && (len(flags) != 2 || flags[0] != "-procs" || !e.Procs) {
			t.Errorf("plan row %s: a label may add only -procs N, to a server that takes it", row.Server)
		}
		for _, sc := range want[row.Server] {
			if !slices.Contains(row.Scenarios, sc) {
				t.Errorf("%s does not run %s", row.Server, sc.Name())
			}
		}
		delete(want, row.Server)
	}
	for id := range want {
		t.Errorf("no plan row for %s", id)
	}
}

// TestOnlyTakesEveryLabelOfAnID: -servers names catalog ids, and an id picks every row labelled
// with it; a label is not an id.
func TestOnlyTakesEveryLabelOfAnID(t *testing.T) {
	plan := Plan{{"ch05/bind-start", nil}, {"ch05/bind-start -procs 2", nil}, {"ch05/reuseport -procs 2", nil}, {"ch03/epoll", nil}}
	got, err := plan.Only([]string{"ch05/bind-start"})
	if err != nil || len(got) != 2 || got[1].Server != "ch05/bind-start -procs 2" {
		t.Errorf("Only(ch05/bind-start) = %v, %v; want both bind-start rows", got, err)
	}
	if _, err := plan.Only([]string{"ch05/bind-start -procs 2"}); err == nil {
		t.Errorf("Only accepted a label as an id")
	}
	if id, flags := SplitLabel("ch05/reuseport -procs 2"); id != "ch05/reuseport" || !slices.Equal(flags, []string{"-procs", "2"}) {
		t.Errorf("SplitLabel = %q, %q", id, flags)
	}
}

// The peers sit beside the servers they are compared with, so the tables, which keep the
// plan's order within a size, show them together: the C floor and gnet just before ch03/epoll,
// nginx just before ch04/http.
func TestDefaultPlanPeersBesideTheirComparison(t *testing.T) {
	var order []string
	for _, row := range DefaultPlan {
		order = append(order, row.Server)
	}
	for _, run := range [][]string{{CEpoll, GnetEcho, "ch03/epoll"}, {NginxHTTP, "ch04/http"}} {
		i := slices.Index(order, run[0])
		if i < 0 || i+len(run) > len(order) || !slices.Equal(order[i:i+len(run)], run) {
			t.Errorf("plan order %v: want %v in a row", order, run)
		}
	}
}

// selectHeadroom is how many descriptor numbers below FD_SETSIZE a select server keeps for
// itself: standard input, output and error, the listener, the waker's two ends, the Go
// runtime's cgroup files (chapter 2's tour counted 8 to 10), and some to spare.
const selectHeadroom = 16

// TestSelectStaysBelowItsWall: no scenario holds more connections on ch02/select at once than
// select(2) can watch, so its rows measure select rather than its refusals.
func TestSelectStaysBelowItsWall(t *testing.T) {
	limit := nonblocking.FDSetSize - selectHeadroom
	found := false
	for _, row := range DefaultPlan {
		if row.Server != "ch02/select" {
			continue
		}
		found = true
		for _, sc := range row.Scenarios {
			if held := sc.Conns + sc.Idle; held > limit {
				t.Errorf("ch02/select %s holds %d connections at once; select can watch at most %d beside its own descriptors", sc.Name(), held, limit)
			}
		}
	}
	if !found {
		t.Errorf("no plan row for ch02/select")
	}
}
