package bench

import (
	"slices"
	"strings"
	"testing"
)

func pp(round int, cpu float64, mismatches int64) Result {
	return Result{Server: "ch00/net", Scenario: PingPong(1), Round: round,
		PingPong: &PingPongResult{CPUMicrosPerMsg: cpu, Mismatches: mismatches}}
}

func TestSummariseKeepsTheMedianRound(t *testing.T) {
	idle := Result{Server: "ch00/net", Scenario: Idle(10), Round: 1, Idle: &IdleResult{RSSPerConnKiB: 8}}
	raw := []Result{pp(1, 30, 0), idle, pp(2, 10, 1), pp(3, 20, 2)}
	got := Summarise(raw)
	if len(got) != 2 {
		t.Fatalf("Summarise gave %d rows, want 2", len(got))
	}
	if got[0].Scenario != PingPong(1) || got[1].Scenario != Idle(10) {
		t.Errorf("rows out of first-seen order: %v, %v", got[0].Scenario, got[1].Scenario)
	}
	if got[0].Round != 3 || got[0].PingPong.CPUMicrosPerMsg != 20 {
		t.Errorf("kept round %d (%v µs), want the median, round 3 (20 µs)", got[0].Round, got[0].PingPong.CPUMicrosPerMsg)
	}
	if got[0].PingPong.Mismatches != 3 {
		t.Errorf("mismatches %d, want the total over the rounds, 3", got[0].PingPong.Mismatches)
	}
	if raw[3].PingPong.Mismatches != 2 {
		t.Errorf("Summarise changed a raw result")
	}
}

func TestSummariseNeverHidesADeath(t *testing.T) {
	dead := Result{Server: "ch01/threaded", Scenario: Idle(10000), Round: 2, Died: "fatal error: thread exhaustion"}
	ok := Result{Server: "ch01/threaded", Scenario: Idle(10000), Round: 1, Idle: &IdleResult{RSSPerConnKiB: 25}}
	failed := Result{Server: "ch01/threaded", Scenario: Idle(10000), Round: 3, Error: "timeout"}
	got := Summarise([]Result{ok, failed, dead})
	if len(got) != 1 || got[0].Died == "" {
		t.Errorf("Summarise = %+v, want the round that died", got)
	}
	got = Summarise([]Result{ok, failed})
	if len(got) != 1 || got[0].Error != "timeout" {
		t.Errorf("Summarise = %+v, want the round that failed", got)
	}
}

func TestPlanOnly(t *testing.T) {
	p := Plan{{"ch00/net", []Scenario{Idle(1)}}, {"ch01/iterative", nil}, {"ch01/threaded", nil}}
	got, err := p.Only([]string{"ch01/threaded", "ch00/net"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Server != "ch00/net" || got[1].Server != "ch01/threaded" {
		t.Errorf("Only = %v, want net then threaded, in the plan's order", got)
	}
	if _, err := p.Only([]string{"ch09/nope"}); err == nil || !strings.Contains(err.Error(), "ch01/iterative") {
		t.Errorf("Only(unknown) error = %v, want one that lists the plan's servers", err)
	}
}

// TestDefaultPlanCoversChapterOne: later chapters add rows and scenarios, but the baseline comes
// first and chapter 1's comparison stays in.
func TestDefaultPlanCoversChapterOne(t *testing.T) {
	want := map[string][]Scenario{
		"ch00/net":       {Idle(100), Idle(1000), Idle(5000), PingPong(1), PingPong(100), IdleCPU()},
		"ch01/iterative": {PingPong(1)},
		"ch01/threaded":  {Idle(100), Idle(1000), Idle(5000), PingPong(1), PingPong(100), IdleCPU()},
	}
	if DefaultPlan[0].Server != "ch00/net" {
		t.Errorf("the plan starts with %s, want the baseline ch00/net", DefaultPlan[0].Server)
	}
	for _, row := range DefaultPlan {
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

func TestScenarioNames(t *testing.T) {
	for _, tt := range []struct {
		sc   Scenario
		want string
	}{
		{Idle(5000), "idle(5000)"},
		{IdleCPU(), "idlecpu(100)"},
		{PingPong(100), "pingpong(100)"},
		{WatchCost(10000), "watchcost(10000)"},
		{Idle(10000).WithMaxThreads(500), "idle(10000) max-threads=500"},
	} {
		if got := tt.sc.Name(); got != tt.want {
			t.Errorf("Name = %q, want %q", got, tt.want)
		}
	}
}

func TestLine(t *testing.T) {
	buf := make([]byte, 0, LineSize)
	a := string(line(buf, 7, 1))
	b := string(line(buf, 7, 2))
	if len(a) != LineSize || a[LineSize-1] != '\n' || strings.Count(a, "\n") != 1 {
		t.Errorf("line %q is not %d bytes ending in its only newline", a, LineSize)
	}
	if a == b {
		t.Errorf("two round trips send the same line %q: a stale echo would pass", a)
	}
}
