package bench

import (
	"slices"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// Every loop server, and the baselines it is read against, runs the stalled scenario of its
// protocol at 100 and 1,000 clients.
func TestDefaultPlanStalledRows(t *testing.T) {
	want := map[string][]Scenario{}
	for _, id := range []string{"ch00/net", "ch02/busypoll", "ch02/select", "ch02/poll", "ch03/epoll", "ch03/poll", "ch04/echo"} {
		want[id] = []Scenario{Stalled(100), Stalled(1000)}
	}
	for _, id := range []string{"ch00/http", "ch04/http"} {
		want[id] = []Scenario{StalledHTTP(100), StalledHTTP(1000)}
	}
	for _, row := range DefaultPlan {
		for _, sc := range row.Scenarios {
			if i := slices.Index(want[row.Server], sc); i >= 0 {
				want[row.Server] = slices.Delete(want[row.Server], i, i+1)
			}
		}
	}
	for id, missing := range want {
		for _, sc := range missing {
			t.Errorf("%s does not run %s", id, sc.Name())
		}
	}
}

// The stalled table: one row per server and size, in MiB and KiB, with the protocol, and a dash
// where the scenario failed.
func TestStalledTable(t *testing.T) {
	results := []Result{
		{Server: "ch03/epoll", Scenario: Stalled(100), Stalled: &StalledResult{Stalled: 100, RSSBeforeKiB: 8192,
			RSSStalledKiB: 20480, RSSPerConnKiB: 122.9, FreshMicros: 1500, RSSLeftKiB: 9216}},
		{Server: "ch04/http", Scenario: StalledHTTP(100), Stalled: &StalledResult{Stalled: 40}, Error: "stalled client 41 of 100: the server is still reading"},
	}
	tables := Tables(results)
	if len(tables) != 1 || tables[0].Name != "stalled" {
		t.Fatalf("tables %+v, want only the stalled one", tables)
	}
	tb := tables[0]
	want := [][]string{
		{"ch03/epoll", "100", "echo", "8.0", "20.0", "122.9", "1.5", "9.0", "ok"},
		{"ch04/http", "100", "http", dash, dash, dash, dash, dash, "failed (note 1)"},
	}
	if !slices.EqualFunc(tb.Rows, want, slices.Equal) {
		t.Errorf("rows:\n%q\nwant:\n%q", tb.Rows, want)
	}
	if want := []string{"ch04/http, 100 stalled clients: failed: stalled client 41 of 100: the server is still reading"}; !slices.Equal(tb.Notes, want) {
		t.Errorf("notes %q, want %q", tb.Notes, want)
	}
	if !strings.Contains(tb.Markdown(), "RSS 2 s after they left (MiB)") {
		t.Errorf("the header does not say when the last RSS was read:\n%s", tb.Markdown())
	}
}

// Against real servers: every client stalls, a fresh one is served beside them, and the RSS is
// read at each step.
func TestRunStalled(t *testing.T) {
	needChapters(t)
	testutil.CheckLeaks(t)
	plan := Plan{{"ch03/epoll", []Scenario{Stalled(20)}}, {"ch04/http", []Scenario{StalledHTTP(20)}}}
	rep, err := Run(plan, Options{Exe: chaptersBinary, Timing: QuickTiming(), Quick: true, Rounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Summary) != 2 {
		t.Fatalf("%d summary rows, want 2", len(rep.Summary))
	}
	for _, r := range rep.Summary {
		s := r.Stalled
		if !r.OK() || s == nil {
			t.Errorf("%s %s: %s%s", r.Server, r.Scenario.Name(), r.Died, r.Error)
			continue
		}
		t.Logf("%s %s: %s", r.Server, r.Scenario.Name(), brief(r))
		if s.Stalled != 20 || s.RSSBeforeKiB <= 0 || s.RSSStalledKiB <= 0 || s.RSSLeftKiB <= 0 || s.FreshMicros <= 0 ||
			s.FreshMicros > float64(serveTimeout/time.Microsecond) {
			t.Errorf("%s: %+v", r.Server, s)
		}
	}
}
