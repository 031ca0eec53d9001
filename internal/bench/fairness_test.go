package bench

import (
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// The fairness scenarios against real server processes: the echo baseline under streaming
// clients and the HTTP baseline under pipelining ones, each timing fresh clients while the busy
// ones are answered.
func TestRunFairness(t *testing.T) {
	needChapters(t)
	testutil.CheckLeaks(t)
	plan := Plan{
		{"ch00/net", []Scenario{Fairness(5)}},
		{"ch00/http", []Scenario{FairnessHTTP(5)}},
	}
	timing := Timing{WarmUp: 50 * time.Millisecond, PingPong: 200 * time.Millisecond}
	rep, err := Run(plan, Options{Exe: chaptersBinary, Timing: timing, Rounds: 1, Pin: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Summary {
		f := r.Fairness
		if !r.OK() || f == nil {
			t.Errorf("%s %s: %s%s, result %+v", r.Server, r.Scenario.Name(), r.Died, r.Error, f)
			continue
		}
		if f.Conns != 5 || f.Probes < minProbes || f.Probes > maxProbes || f.P50Micros <= 0 ||
			f.P99Micros < f.P50Micros || f.MaxMicros < f.P99Micros || f.AnsweredMiBPerSecond <= 0 {
			t.Errorf("%s %s: %+v", r.Server, r.Scenario.Name(), f)
		}
	}
	tables := Tables(rep.Summary)
	if len(tables) != 1 || tables[0].Name != "fairness" || len(tables[0].Rows) != 2 {
		t.Fatalf("tables: %+v", tables)
	}
	for i, load := range []string{"echo lines", "pipelined GET /"} {
		if row := tables[0].Rows[i]; row[2] != load || row[len(row)-1] != "ok" {
			t.Errorf("fairness row %d = %q, want load %q and ok", i, row, load)
		}
	}
}

// A fairness result is shown in milliseconds; a failed one keeps its row, with dashes.
func TestTablesFairness(t *testing.T) {
	results := []Result{
		{Server: "ch04/echo", Scenario: Fairness(200), Fairness: &FairnessResult{Conns: 200, Probes: 50, P50Micros: 12345, P99Micros: 45678, MaxMicros: 50000, AnsweredMiBPerSecond: 97.25}},
		{Server: "ch04/http", Scenario: FairnessHTTP(50), Error: "fresh client 3: i/o timeout"},
	}
	tables := Tables(results)
	if len(tables) != 1 || tables[0].Name != "fairness" {
		t.Fatalf("tables: %+v", tables)
	}
	got := tables[0].Markdown() + tables[0].notes()
	for _, want := range []string{"| ch04/echo |          200 | echo lines      |            50 |     12.3 |     45.7 |     50.0 |", "97.2", "| ch04/http |", "pipelined GET /", "failed (note 1)", "- Note 1: ch04/http, 50 busy clients: failed: fresh client 3: i/o timeout"} {
		if !strings.Contains(got, want) {
			t.Errorf("fairness table lacks %q:\n%s", want, got)
		}
	}
}

// Each server of the fairness comparison has its row, echo servers under streaming lines and
// HTTP servers under pipelined requests.
func TestDefaultPlanFairnessRows(t *testing.T) {
	want := map[string]Scenario{
		"ch00/net": Fairness(200), "ch03/epoll": Fairness(200), "ch04/echo": Fairness(200),
		"ch00/http": FairnessHTTP(50), "ch04/http": FairnessHTTP(50),
	}
	for _, row := range DefaultPlan {
		for _, sc := range row.Scenarios {
			if sc == want[row.Server] {
				delete(want, row.Server)
			}
		}
	}
	for id, sc := range want {
		t.Errorf("%s does not run %s", id, sc.Name())
	}
}
