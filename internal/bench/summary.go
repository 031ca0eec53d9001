// One row per server and scenario out of several rounds: the median round.

package bench

import "sort"

// Summarise reduces the results of several rounds to one per server and scenario, in the order
// they first appear. The row kept is the round whose main figure (RSS per connection, CPU per
// second, CPU per message) is the median, so that every number in a row comes from the same
// run (for HTTP and burn, requests per second; for stalled clients, RSS per client; for fairness,
// the fresh clients' median wait; for spread, EAGAIN per connection). Two things are never averaged away: a death or error in any
// round is the row (the first such round), and
// mismatches (and HTTP's socket errors and non-2xx answers) are the total over every round.
func Summarise(results []Result) []Result {
	type key struct{ server, scenario string }
	var order []key
	groups := map[key][]Result{}
	for _, r := range results {
		k := key{r.Server, r.Scenario.Name()}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	out := make([]Result, 0, len(order))
	for _, k := range order {
		out = append(out, medianRound(groups[k]))
	}
	return out
}

func medianRound(rounds []Result) Result {
	for _, r := range rounds {
		if r.Died != "" {
			return r
		}
	}
	for _, r := range rounds {
		if !r.OK() {
			return r
		}
	}
	sorted := append([]Result(nil), rounds...)
	sort.SliceStable(sorted, func(i, j int) bool { return mainFigure(sorted[i]) < mainFigure(sorted[j]) })
	median := sorted[(len(sorted)-1)/2]
	if median.PingPong != nil {
		pp := *median.PingPong
		pp.Mismatches = 0
		for _, r := range rounds {
			pp.Mismatches += r.PingPong.Mismatches
		}
		median.PingPong = &pp
	}
	if median.HTTP != nil {
		h := *median.HTTP
		h.SocketErrors, h.Non2xx, h.Mismatches = 0, 0, 0
		for _, r := range rounds {
			h.SocketErrors += r.HTTP.SocketErrors
			h.Non2xx += r.HTTP.Non2xx
			h.Mismatches += r.HTTP.Mismatches
		}
		median.HTTP = &h
	}
	return median
}

// mainFigure is the number a scenario's median round is chosen by.
func mainFigure(r Result) float64 {
	switch {
	case r.Idle != nil:
		return r.Idle.RSSPerConnKiB
	case r.IdleCPU != nil:
		return r.IdleCPU.CPUPerWallSecond
	case r.PingPong != nil:
		return r.PingPong.CPUMicrosPerMsg
	case r.HTTP != nil:
		return r.HTTP.PerSecond
	case r.Handshake != nil:
		return r.Handshake.CPUMicrosPerHandshake
	case r.Stalled != nil:
		return r.Stalled.RSSPerConnKiB
	case r.Fairness != nil:
		return r.Fairness.P50Micros
	case r.Burn != nil:
		return r.Burn.PerSecond
	case r.Spread != nil:
		return r.Spread.EAGAINPerConn
	}
	return 0
}
