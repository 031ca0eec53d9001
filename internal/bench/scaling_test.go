// The chapter 5 tables: scaling against the first row, the spread by task, and the view that
// shows them once the run has chapter 5's servers.

package bench

import (
	"strings"
	"testing"
)

func TestScalingAndSpreadTables(t *testing.T) {
	results := []Result{
		{Server: "ch05/bind-start -procs 1", Scenario: Burn(16), Burn: &BurnResult{PerSecond: 5000, P50Micros: 3000, CPUPerWallSecond: 0.98, ByTask: map[string]int{"task=none": 16}}},
		{Server: "ch05/bind-start -procs 2", Scenario: Burn(16), Burn: &BurnResult{PerSecond: 9000, P50Micros: 1700, CPUPerWallSecond: 1.9, ByTask: map[string]int{"task=0": 9, "task=1": 7}}},
		{Server: "ch05/bind-start -procs 2", Scenario: BurnBurst(16), Burn: &BurnResult{PerSecond: 5100, CPUPerWallSecond: 1, ByTask: map[string]int{"task=1": 16}}},
		{Server: "ch05/bind-start -procs 4", Scenario: Spread(200), Spread: &SpreadResult{ByTask: map[string]int{"task=0": 150, "task=1": 30, "task=2": 10, "task=10": 10}, WakeupsPerConn: 1.02, EAGAINPerConn: 1.02, SwitchesPerConn: 5.4}},
	}
	var scaling, spread Table
	for _, tb := range Tables(results) {
		switch tb.Name {
		case "scaling":
			scaling = tb
		case "spread":
			spread = tb
		}
	}
	if len(scaling.Rows) != 3 || len(spread.Rows) != 1 {
		t.Fatalf("scaling rows %q, spread rows %q", scaling.Rows, spread.Rows)
	}
	want := [][]string{
		{"ch05/bind-start -procs 1", "16", "one at a time", "16", "5000", "1.00", "3000", "0.98", "ok"},
		{"ch05/bind-start -procs 2", "16", "one at a time", "9/7", "9000", "1.80", "1700", "1.90", "ok"},
		{"ch05/bind-start -procs 2", "16", "all at once", "16", "5100", "1.02", "0", "1.00", "ok"},
	}
	for i, w := range want {
		if strings.Join(scaling.Rows[i], "|") != strings.Join(w, "|") {
			t.Errorf("scaling row %d = %q, want %q", i, scaling.Rows[i], w)
		}
	}
	// Tasks in numeric order: task=10 after task=2.
	if got := spread.Rows[0][2]; got != "150/30/10/10" {
		t.Errorf("spread by task = %q", got)
	}
	if got := spread.Rows[0][5]; got != "5.4" {
		t.Errorf("context switches per connection = %q", got)
	}

	rep := &Report{Summary: results}
	files := ViewFiles(rep)
	for _, name := range []string{"ch05-scaling.md", "ch05-spread.md"} {
		if files[name] == nil {
			t.Errorf("no %s in the chapter 5 view", name)
		}
	}
	if files["ch04-pingpong.md"] != nil || files["ch04-idle-rss.svg"] != nil {
		t.Errorf("chapter 4's view rendered from a run without chapter 4's servers")
	}
}
