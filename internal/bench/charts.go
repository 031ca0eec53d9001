// Which charts the book gets, built from the summary results.

package bench

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// Chart is one SVG file: Name + ".svg".
type Chart struct {
	Name string
	BarChart
}

// Charts builds the book's charts from results (normally a Summary), leaving out those with no
// data: memory per idle connection by server and count; CPU per message by server and
// connection count; and, once the plan has them, idle CPU, the cost of watching idle sockets and
// HTTP requests per second. The cost of watching idle sockets is on a log axis: its point is
// how it grows with their number, from tens of µs to thousands.
func Charts(results []Result) []Chart {
	specs := []struct {
		name, title, ylabel, group string
		kind                       Kind
		value                      func(Result) float64
		log                        bool
	}{
		{"idle-rss", "Server memory per idle connection", "RSS per connection (KiB)", " connections", KindIdle,
			func(r Result) float64 { return r.Idle.RSSPerConnKiB }, false},
		{"pingpong-cpu", "Server CPU per echoed message (64-byte lines)", "server CPU µs per message", " connections", KindPingPong,
			func(r Result) float64 { return r.PingPong.CPUMicrosPerMsg }, false},
		{"idlecpu", "Server CPU while connections sit idle", "CPU seconds per second", " idle connections", KindIdleCPU,
			func(r Result) float64 { return r.IdleCPU.CPUPerWallSecond }, false},
		{"watchcost-cpu", "Server CPU per message, one active connection beside idle ones", "server CPU µs per message", " idle", KindWatchCost,
			func(r Result) float64 { return r.PingPong.CPUMicrosPerMsg }, true},
		{"http-rps", "HTTP helloworld: GET / requests per second, keep-alive", "requests per second", " connections", KindHTTP,
			func(r Result) float64 { return r.HTTP.PerSecond }, false},
	}
	var out []Chart
	for _, spec := range specs {
		c := Chart{Name: spec.name, BarChart: BarChart{Title: spec.title, YLabel: spec.ylabel, Log: spec.log}}
		var counts []int
		var rows []Result
		for _, r := range results {
			if r.Scenario.Kind != spec.kind || r.Scenario.MaxThreads > 0 {
				continue
			}
			rows = append(rows, r)
			if !slices.Contains(counts, groupCount(r.Scenario)) {
				counts = append(counts, groupCount(r.Scenario))
			}
			if !slices.Contains(c.Series, r.Server) {
				c.Series = append(c.Series, r.Server)
			}
			if isTornado(r.Server) && r.External != "" && c.Footnote == "" {
				c.Footnote = "tornado/*: " + notTornado32(r.External)
			}
		}
		if len(rows) == 0 {
			continue
		}
		slices.Sort(counts)
		for _, n := range counts {
			label := strconv.Itoa(n) + spec.group
			if n == 1 {
				label = strings.TrimSuffix(label, "s")
			}
			c.Groups = append(c.Groups, label)
		}
		c.Values = make([][]float64, len(c.Series))
		c.Notes = make([][]string, len(c.Series))
		for s := range c.Series {
			c.Values[s] = slices.Repeat([]float64{math.NaN()}, len(counts))
			c.Notes[s] = make([]string, len(counts))
		}
		for _, r := range rows {
			s, g := slices.Index(c.Series, r.Server), slices.Index(counts, groupCount(r.Scenario))
			switch {
			case r.Died != "":
				c.Notes[s][g] = "died"
			case !r.OK():
				c.Notes[s][g] = "failed"
			default:
				c.Values[s][g] = spec.value(r)
			}
		}
		out = append(out, c)
	}
	return out
}

// groupCount is the connection count a scenario is charted under.
func groupCount(sc Scenario) int {
	if sc.Kind == KindWatchCost {
		return sc.Idle
	}
	return sc.Conns
}
