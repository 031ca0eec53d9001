// Walking the plan: a fresh server process per scenario, round after round.

package bench

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Options says how to run a plan.
type Options struct {
	// Exe is the chapters binary: `Exe run ID -addr 127.0.0.1:0` starts server ID.
	Exe    string
	Timing Timing
	Quick  bool // recorded with the results
	// Rounds is how many times the whole plan runs (at least once). Each round walks every row,
	// so a slow drift of the machine touches every server alike; the summary keeps the median.
	Rounds int
	// Pin puts servers on one CPU and this process on another, when there are two.
	Pin bool
	// Progress receives a line per scenario. Nil means none.
	Progress io.Writer
	// HTTPClient is the client of the HTTP scenarios: HTTPClientWrk, HTTPClientBench, or
	// HTTPClientAuto (""), which is wrk when installed.
	HTTPClient string
}

// Report is everything a run produced.
type Report struct {
	Machine Machine  `json:"machine"`
	Quick   bool     `json:"quick"`
	Rounds  int      `json:"rounds"`
	Timing  Timing   `json:"timing"`
	Plan    Plan     `json:"plan"`
	Results []Result `json:"results"` // every scenario of every round, in the order run
	Summary []Result `json:"summary"` // one per server and scenario: see Summarise
	// Skipped are the plan's rows left out, each with why: the real Tornado's, where it is
	// not installed.
	Skipped []string `json:"skipped,omitempty"`
}

// Run runs every scenario of plan against its server, Rounds times. A server that dies or a
// scenario that fails is a result; the error is only for a run that could not be set up.
func Run(plan Plan, opt Options) (*Report, error) {
	if opt.Exe == "" {
		return nil, errors.New("bench: no chapters binary to start servers with")
	}
	rounds := max(opt.Rounds, 1)
	progress := opt.Progress
	if progress == nil {
		progress = io.Discard
	}
	rep := &Report{Machine: describeMachine(time.Now()), Quick: opt.Quick, Rounds: rounds, Timing: opt.Timing, Plan: plan}

	pin := &Pinning{Note: "not pinned: turned off", ServerCPU: -1, ClientCPU: -1}
	if opt.Pin {
		var err error
		if pin, err = Pin(); err != nil {
			return nil, fmt.Errorf("bench: pinning: %w", err)
		}
		defer pin.Restore()
	}
	rep.Machine.Pinning = pin
	fmt.Fprintf(progress, "bench: %d CPUs, %s\n", rep.Machine.CPUs, pin.Note)
	plan, ext, skipped := prepareExternals(opt.Exe, plan, progress)
	defer ext.Close()
	rep.Plan, rep.Skipped = plan, skipped

	total := 0
	for _, row := range plan {
		total += len(row.Scenarios)
	}
	total *= rounds
	n := 0
	for round := 1; round <= rounds; round++ {
		for _, row := range plan {
			for _, sc := range row.Scenarios {
				n++
				fmt.Fprintf(progress, "[%d/%d] %s %s ... ", n, total, row.Server, sc.Name())
				start := time.Now()
				r := runOne(ext, row.Server, sc, pin, opt)
				r.Round = round
				fmt.Fprintf(progress, "%s (%.1f s)\n", brief(r), time.Since(start).Seconds())
				rep.Results = append(rep.Results, r)
			}
		}
	}
	rep.Summary = Summarise(rep.Results)
	return rep, nil
}

// runOne starts a fresh server, runs one scenario against it and stops it.
func runOne(ext *externals, id string, sc Scenario, pin *Pinning, opt Options) Result {
	t := opt.Timing
	p, err := ext.start(id, sc.MaxThreads, pin)
	if err != nil {
		return Result{Server: id, Scenario: sc, Error: err.Error(), External: ext.describe(id)}
	}
	var r Result
	switch sc.Kind {
	case KindIdle:
		r = runIdle(p, sc)
	case KindIdleCPU:
		r = runIdleCPU(p, sc, t.IdleCPU)
	case KindPingPong, KindWatchCost, KindTLSPingPong:
		r = runPingPong(p, sc, t)
	case KindHandshake:
		r = runHandshakes(p, sc, t)
	case KindHTTP, KindHTTPS:
		r = runHTTP(p, sc, t, opt.HTTPClient)
	case KindStalled, KindStalledHTTP:
		r = runStalled(p, sc)
	case KindFairness, KindFairnessHTTP:
		r = runFairness(p, sc, t)
	case KindBurn, KindBurnBurst:
		r = runBurn(p, sc, t)
	case KindSpread:
		r = runSpread(p, sc)
	default:
		r = Result{Server: id, Scenario: sc, Error: fmt.Sprintf("unknown scenario kind %q", sc.Kind)}
	}
	if err := p.Stop(); err != nil {
		r.Stop = err.Error()
	}
	r.External = ext.describe(id)
	return r
}

// brief is a result in a few words, for the progress lines.
func brief(r Result) string {
	switch {
	case r.Died != "":
		return "died: " + r.Died
	case r.Error != "":
		return "failed: " + r.Error
	case r.Idle != nil:
		return fmt.Sprintf("%d served in %.2f s, %.1f KiB and %.2f threads per connection", r.Idle.Served, r.Idle.Seconds, r.Idle.RSSPerConnKiB, r.Idle.ThreadsPerConn)
	case r.IdleCPU != nil:
		return fmt.Sprintf("%.3f CPU s per s", r.IdleCPU.CPUPerWallSecond)
	case r.PingPong != nil:
		return fmt.Sprintf("%.0f msg/s, p50 %.0f µs, p99 %.0f µs, %.1f CPU µs/msg, %d mismatches", r.PingPong.PerSecond, r.PingPong.P50Micros, r.PingPong.P99Micros, r.PingPong.CPUMicrosPerMsg, r.PingPong.Mismatches)
	case r.HTTP != nil:
		h := r.HTTP
		return fmt.Sprintf("%.0f req/s by %s, p50 %.0f µs, p99 %.0f µs, %.1f CPU µs/req, %d socket errors, %d non-2xx, %d mismatches; server on CPUs %s, client on %s",
			h.PerSecond, h.Client, h.P50Micros, h.P99Micros, h.CPUMicrosPerRequest, h.SocketErrors, h.Non2xx, h.Mismatches, h.ServerCPUs, h.ClientCPUs)
	case r.Handshake != nil:
		h := r.Handshake
		return fmt.Sprintf("%.0f handshakes/s, p50 %.0f µs, p99 %.0f µs, %.1f CPU µs/handshake", h.PerSecond, h.P50Micros, h.P99Micros, h.CPUMicrosPerHandshake)
	case r.Stalled != nil:
		s := r.Stalled
		return fmt.Sprintf("%d stalled: %.1f KiB per client, fresh client in %.0f µs, RSS %d KiB before, %d with them, %d after they left",
			s.Stalled, s.RSSPerConnKiB, s.FreshMicros, s.RSSBeforeKiB, s.RSSStalledKiB, s.RSSLeftKiB)
	case r.Burn != nil:
		b := r.Burn
		return fmt.Sprintf("%.0f burn requests/s, p50 %.0f µs, server busy %.2f CPUs, connections per process %s", b.PerSecond, b.P50Micros, b.CPUPerWallSecond, split(b.ByTask))
	case r.Spread != nil:
		s := r.Spread
		return fmt.Sprintf("split %s; per connection %.2f listener events, %.2f EAGAIN, %.2f context switches", split(s.ByTask), s.WakeupsPerConn, s.EAGAINPerConn, s.SwitchesPerConn)
	case r.Fairness != nil:
		f := r.Fairness
		return fmt.Sprintf("%d fresh clients answered in p50 %.1f ms, p99 %.1f ms, max %.1f ms; %.1f MiB/s to the busy ones", f.Probes, f.P50Micros/1e3, f.P99Micros/1e3, f.MaxMicros/1e3, f.AnsweredMiBPerSecond)
	}
	return "no result"
}
