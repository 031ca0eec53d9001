// The results as Markdown tables, one per kind of scenario, in a layout that stays put from run
// to run so the book can embed them.

package bench

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Table is one Markdown table: its file is Name + ".md".
type Table struct {
	Name   string // "idle", "idlecpu", "pingpong", "watchcost", "http", "tlspingpong", "handshake", "https", "stalled", "fairness", "scaling", "spread"
	Title  string
	Header []string
	Right  []bool // right-align this column (numbers)
	Rows   [][]string
	// Notes hold the long outcomes (a server's last words): the row's result cell says
	// "died (note 1)" and note 1 is printed under the table, so no column runs off the page.
	Notes []string
}

// Markdown renders the table with its columns padded to a common width.
func (t Table) Markdown() string {
	width := make([]int, len(t.Header))
	for i, h := range t.Header {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, row := range t.Rows {
		for i, cell := range row {
			width[i] = max(width[i], utf8.RuneCountInString(cell), 3)
		}
	}
	var b strings.Builder
	writeRow := func(cells []string) {
		b.WriteString("|")
		for i, cell := range cells {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(cell))
			if t.Right[i] {
				b.WriteString(" " + pad + cell + " |")
			} else {
				b.WriteString(" " + cell + pad + " |")
			}
		}
		b.WriteString("\n")
	}
	writeRow(t.Header)
	b.WriteString("|")
	for i := range t.Header {
		dashes := strings.Repeat("-", width[i])
		if t.Right[i] {
			dashes = dashes[1:] + ":"
		}
		b.WriteString(" " + dashes + " |")
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		writeRow(row)
	}
	return b.String()
}

// Tables builds the tables for results (normally a Summary), leaving out kinds with no rows.
// Rows are ordered by connection count, then in the order of results, which is the plan's.
func Tables(results []Result) []Table {
	idle := Table{Name: "idle", Title: "Idle connections",
		Header: []string{"server", "connections", "served", "time to serve all (s)", "RSS per connection (KiB)", "OS threads", "result"},
		Right:  []bool{false, true, true, true, true, true, false}}
	idleCPU := Table{Name: "idlecpu", Title: "Idle CPU",
		Header: []string{"server", "idle connections", "server CPU s per wall s", "result"},
		Right:  []bool{false, true, true, false}}
	pingPong := Table{Name: "pingpong", Title: "Echo ping-pong, 64-byte lines",
		Header: []string{"server", "connections", "messages/s", "p50 (µs)", "p99 (µs)", "server CPU µs/message", "mismatches", "result"},
		Right:  []bool{false, true, true, true, true, true, true, false}}
	watch := Table{Name: "watchcost", Title: "The cost of watching idle connections: ping-pong on one beside K idle",
		Header: []string{"server", "idle connections", "messages/s", "p50 (µs)", "server CPU µs/message", "mismatches", "result"},
		Right:  []bool{false, true, true, true, true, true, false}}
	httpTable := Table{Name: "http", Title: "HTTP helloworld: GET / on keep-alive connections",
		Header: []string{"server", "connections", "client", "requests/s", "p50 (µs)", "p99 (µs)", "server CPU µs/request", "socket errors", "non-2xx", "mismatches", "result"},
		Right:  []bool{false, true, false, true, true, true, true, true, true, true, false}}
	tlsPingPong := Table{Name: "tlspingpong", Title: "Echo ping-pong over TLS 1.3, 64-byte lines",
		Header: slices.Clone(pingPong.Header), Right: slices.Clone(pingPong.Right)}
	handshake := Table{Name: "handshake", Title: "Full TLS 1.3 handshakes: a new connection each, one line echoed (ECDSA P-256 certificate, P-256 key exchange, no resumption)",
		Header: []string{"server", "clients", "handshakes/s", "p50 (µs)", "p99 (µs)", "server CPU µs/handshake", "result"},
		Right:  []bool{false, true, true, true, true, true, false}}
	httpsTable := Table{Name: "https", Title: "HTTPS helloworld: GET / on keep-alive TLS 1.3 connections",
		Header: slices.Clone(httpTable.Header), Right: slices.Clone(httpTable.Right)}
	stalled := Table{Name: "stalled", Title: "Stalled clients: each sends and never reads, then all leave",
		Header: []string{"server", "stalled clients", "protocol", "RSS before (MiB)", "RSS with them (MiB)", "per client (KiB)",
			"fresh client (ms)", fmt.Sprintf("RSS %.0f s after they left (MiB)", LeaveWait.Seconds()), "result"},
		Right: []bool{false, true, false, true, true, true, true, true, false}}
	fairness := Table{Name: "fairness", Title: "Fairness: a fresh client's one answer while busy clients send all they can",
		Header: []string{"server", "busy clients", "they send", "fresh clients", "p50 (ms)", "p99 (ms)", "max (ms)", "answers to the busy (MiB/s)", "result"},
		Right:  []bool{false, true, false, true, true, true, true, true, false}}

	scaling := Table{Name: "scaling", Title: fmt.Sprintf("Multi-process scaling: \"burn %d\" requests (SHA-256 rounds, CPU-bound); the server's processes may run on every CPU, the client shares one", BurnRounds),
		Header: []string{"server", "connections", "made", "per process (by task)", "requests/s", "× the first row", "p50 (µs)", "CPUs busy", "result"},
		Right:  []bool{false, true, false, false, true, true, true, true, false}}
	spread := Table{Name: "spread", Title: "Spread and the thundering herd: connections made one at a time, each held open",
		Header: []string{"server", "connections", "per child (by task)", "listener events per connection", "accept → EAGAIN per connection", "context switches per connection", "result"},
		Right:  []bool{false, true, false, true, true, true, false}}
	var firstBurn float64

	// Where the run has the floor, ping-pong's CPU per message is also shown as a multiple of the
	// C server's at the same connection count, and requests per second as a fraction of nginx's:
	// ratios from one run hold where absolute times drift with the machine.
	pingCPU := func(r Result) float64 { return r.PingPong.CPUMicrosPerMsg }
	httpRate := func(r Result) float64 { return r.HTTP.PerSecond }
	cFloor := reference(results, CEpoll, KindPingPong, pingCPU)
	nginx := reference(results, NginxHTTP, KindHTTP, httpRate)
	pingPong.addRatioColumn(cFloor != nil, 6, "CPU ÷ "+CEpoll)
	httpTable.addRatioColumn(nginx != nil, 4, "requests/s ÷ "+NginxHTTP)
	// Chapter 6's tables hold each server against Go's crypto/tls on net in the same run.
	handshakeCPU := func(r Result) float64 { return r.Handshake.CPUMicrosPerHandshake }
	tlsEcho := reference(results, TLSBaseline, KindTLSPingPong, pingCPU)
	tlsHandshake := reference(results, TLSBaseline, KindHandshake, handshakeCPU)
	httpsBase := reference(results, HTTPSBaseline, KindHTTPS, httpRate)
	tlsPingPong.addRatioColumn(tlsEcho != nil, 6, "CPU ÷ "+TLSBaseline)
	handshake.addRatioColumn(tlsHandshake != nil, 6, "CPU ÷ "+TLSBaseline)
	httpsTable.addRatioColumn(httpsBase != nil, 4, "requests/s ÷ "+HTTPSBaseline)

	// Rows of one size sit together, servers in the plan's order, so they read as a comparison.
	results = slices.Clone(results)
	slices.SortStableFunc(results, func(a, b Result) int {
		return cmp.Or(cmp.Compare(groupCount(a.Scenario), groupCount(b.Scenario)), cmp.Compare(a.Scenario.MaxThreads, b.Scenario.MaxThreads))
	})
	for _, r := range results {
		sc := r.Scenario
		switch sc.Kind {
		case KindIdle:
			served, secs, rss, threads := dash, dash, dash, dash
			if i := r.Idle; i != nil {
				served = strconv.Itoa(i.Served)
				if r.OK() {
					secs, rss, threads = fmt.Sprintf("%.3f", i.Seconds), fmt.Sprintf("%.1f", i.RSSPerConnKiB), strconv.Itoa(i.Threads)
				}
			}
			idle.Rows = append(idle.Rows, []string{r.Server, conns(sc.Conns, sc), served, secs, rss, threads, outcome(r)})
		case KindIdleCPU:
			cpu := dash
			if c := r.IdleCPU; c != nil {
				cpu = fmt.Sprintf("%.3f", c.CPUPerWallSecond)
			}
			idleCPU.Rows = append(idleCPU.Rows, []string{r.Server, conns(sc.Conns, sc), cpu, outcome(r)})
		case KindPingPong:
			pingPong.Rows = append(pingPong.Rows, pingPongRow(r, cFloor, pingCPU))
		case KindTLSPingPong:
			tlsPingPong.Rows = append(tlsPingPong.Rows, pingPongRow(r, tlsEcho, pingCPU))
		case KindHandshake:
			cells := []string{dash, dash, dash, dash}
			if h := r.Handshake; h != nil {
				cells = []string{fmt.Sprintf("%.0f", h.PerSecond), fmt.Sprintf("%.0f", h.P50Micros), fmt.Sprintf("%.0f", h.P99Micros), fmt.Sprintf("%.1f", h.CPUMicrosPerHandshake)}
			}
			if tlsHandshake != nil {
				cells = append(cells, ratio(tlsHandshake, r, handshakeCPU))
			}
			handshake.Rows = append(handshake.Rows, append(append([]string{r.Server, conns(sc.Conns, sc)}, cells...), outcome(r)))
		case KindWatchCost:
			cells := []string{dash, dash, dash, dash}
			if p := r.PingPong; p != nil {
				cells = []string{fmt.Sprintf("%.0f", p.PerSecond), fmt.Sprintf("%.0f", p.P50Micros), fmt.Sprintf("%.1f", p.CPUMicrosPerMsg), strconv.FormatInt(p.Mismatches, 10)}
			}
			watch.Rows = append(watch.Rows, append(append([]string{r.Server, conns(sc.Idle, sc)}, cells...), outcome(r)))
		case KindHTTP:
			httpTable.Rows = append(httpTable.Rows, httpRow(r, nginx, httpRate))
		case KindHTTPS:
			httpsTable.Rows = append(httpsTable.Rows, httpRow(r, httpsBase, httpRate))
		case KindStalled, KindStalledHTTP:
			protocol := "echo"
			if sc.Kind == KindStalledHTTP {
				protocol = "http"
			}
			cells := []string{dash, dash, dash, dash, dash}
			if s := r.Stalled; s != nil && r.OK() {
				cells = []string{mib(s.RSSBeforeKiB), mib(s.RSSStalledKiB), fmt.Sprintf("%.1f", s.RSSPerConnKiB),
					fmt.Sprintf("%.1f", s.FreshMicros/1000), mib(s.RSSLeftKiB)}
			}
			stalled.Rows = append(stalled.Rows, append(append([]string{r.Server, conns(sc.Conns, sc), protocol}, cells...), outcome(r)))
		case KindBurn, KindBurnBurst:
			made := "one at a time"
			if sc.Kind == KindBurnBurst {
				made = "all at once"
			}
			cells := []string{dash, dash, dash, dash, dash}
			if b := r.Burn; b != nil && r.OK() {
				if firstBurn == 0 {
					firstBurn = b.PerSecond
				}
				cells = []string{split(b.ByTask), fmt.Sprintf("%.0f", b.PerSecond), fmt.Sprintf("%.2f", b.PerSecond/firstBurn), fmt.Sprintf("%.0f", b.P50Micros), fmt.Sprintf("%.2f", b.CPUPerWallSecond)}
			}
			scaling.Rows = append(scaling.Rows, append(append([]string{r.Server, conns(sc.Conns, sc), made}, cells...), outcome(r)))
		case KindSpread:
			cells := []string{dash, dash, dash, dash}
			if s := r.Spread; s != nil && r.OK() {
				cells = []string{split(s.ByTask), fmt.Sprintf("%.2f", s.WakeupsPerConn), fmt.Sprintf("%.2f", s.EAGAINPerConn), fmt.Sprintf("%.1f", s.SwitchesPerConn)}
			}
			spread.Rows = append(spread.Rows, append(append([]string{r.Server, conns(sc.Conns, sc)}, cells...), outcome(r)))
		case KindFairness, KindFairnessHTTP:
			load := "echo lines"
			if sc.Kind == KindFairnessHTTP {
				load = "pipelined GET /"
			}
			cells := []string{dash, dash, dash, dash, dash}
			if f := r.Fairness; f != nil {
				cells = []string{strconv.Itoa(f.Probes), fmt.Sprintf("%.1f", f.P50Micros/1e3), fmt.Sprintf("%.1f", f.P99Micros/1e3), fmt.Sprintf("%.1f", f.MaxMicros/1e3),
					fmt.Sprintf("%.1f", f.AnsweredMiBPerSecond)}
			}
			fairness.Rows = append(fairness.Rows, append(append([]string{r.Server, conns(sc.Conns, sc), load}, cells...), outcome(r)))
		}
	}
	var out []Table
	for _, t := range []Table{idle, idleCPU, pingPong, watch, httpTable, tlsPingPong, handshake, httpsTable, stalled, fairness, scaling, spread} {
		if len(t.Rows) > 0 {
			out = append(out, t.withNotes())
		}
	}
	return out
}

// addRatioColumn inserts a right-aligned column named name at i when the run has the reference
// it divides by.
func (t *Table) addRatioColumn(have bool, i int, name string) {
	if have {
		t.Header = slices.Insert(t.Header, i, name)
		t.Right = slices.Insert(t.Right, i, true)
	}
}

// pingPongRow is a ping-pong table's row for r, with its CPU as a multiple of ref's where ref
// is not nil.
func pingPongRow(r Result, ref map[int]float64, value func(Result) float64) []string {
	cells := []string{dash, dash, dash, dash, dash}
	if p := r.PingPong; p != nil {
		cells = []string{fmt.Sprintf("%.0f", p.PerSecond), fmt.Sprintf("%.0f", p.P50Micros), fmt.Sprintf("%.0f", p.P99Micros), fmt.Sprintf("%.1f", p.CPUMicrosPerMsg), strconv.FormatInt(p.Mismatches, 10)}
	}
	if ref != nil {
		cells = slices.Insert(cells, 4, ratio(ref, r, value))
	}
	return append(append([]string{r.Server, conns(r.Scenario.Conns, r.Scenario)}, cells...), outcome(r))
}

// httpRow is an HTTP table's row for r, with its rate as a fraction of ref's where ref is not
// nil.
func httpRow(r Result, ref map[int]float64, value func(Result) float64) []string {
	cells := []string{dash, dash, dash, dash, dash, dash, dash, dash}
	if h := r.HTTP; h != nil {
		client, _, _ := strings.Cut(h.Client, " ") // "wrk", without its version
		cells = []string{client, fmt.Sprintf("%.0f", h.PerSecond), fmt.Sprintf("%.0f", h.P50Micros), fmt.Sprintf("%.0f", h.P99Micros), fmt.Sprintf("%.1f", h.CPUMicrosPerRequest),
			strconv.FormatInt(h.SocketErrors, 10), strconv.FormatInt(h.Non2xx, 10), strconv.FormatInt(h.Mismatches, 10)}
	}
	if ref != nil {
		cells = slices.Insert(cells, 2, ratio(ref, r, value))
	}
	return append(append([]string{r.Server, conns(r.Scenario.Conns, r.Scenario)}, cells...), outcome(r))
}

// maxOutcome is the widest result cell kept in the table; a longer one becomes a note.
const maxOutcome = 24

// withNotes moves each long result cell (the last column) under the table as a note.
func (t Table) withNotes() Table {
	for _, row := range t.Rows {
		last := len(row) - 1
		if utf8.RuneCountInString(row[last]) <= maxOutcome {
			continue
		}
		t.Notes = append(t.Notes, fmt.Sprintf("%s, %s %s: %s", row[0], row[1], strings.ToLower(t.Header[1]), row[last]))
		word, _, _ := strings.Cut(row[last], ":")
		row[last] = noteRef(word, len(t.Notes))
	}
	return t
}

// noteRef is a result cell pointing at note n: "died (note 2)".
func noteRef(cell string, n int) string {
	word, _, _ := strings.Cut(cell, " (note ")
	return fmt.Sprintf("%s (note %d)", word, n)
}

// noteIndex is the note a result cell points at, if it does.
func noteIndex(cell string) (int, bool) {
	_, ref, ok := strings.Cut(cell, " (note ")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(ref, ")"))
	return n, err == nil && n > 0
}

// notes renders the table's notes as a list under it, or nothing.
func (t Table) notes() string {
	if len(t.Notes) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n")
	for i, n := range t.Notes {
		fmt.Fprintf(&b, "- Note %d: %s\n", i+1, n)
	}
	return b.String()
}

const dash = "—"

// reference is server's value at each connection count among the completed results of kind,
// or nil if it has none.
func reference(results []Result, server string, kind Kind, value func(Result) float64) map[int]float64 {
	var ref map[int]float64
	for _, r := range results {
		if r.Server == server && r.Scenario.Kind == kind && r.OK() && hasFigures(r) {
			if ref == nil {
				ref = map[int]float64{}
			}
			ref[r.Scenario.Conns] = value(r)
		}
	}
	return ref
}

// ratio is r's value divided by the reference's at r's connection count, to two places, or a
// dash where either is missing.
func ratio(ref map[int]float64, r Result, value func(Result) float64) string {
	base, ok := ref[r.Scenario.Conns]
	if !ok || base == 0 || !r.OK() || !hasFigures(r) {
		return dash
	}
	return fmt.Sprintf("%.2f", value(r)/base)
}

// hasFigures reports whether r has the figures a ratio is taken of.
func hasFigures(r Result) bool { return r.PingPong != nil || r.HTTP != nil || r.Handshake != nil }

// mib is an amount in KiB shown in MiB, to one place.
func mib(kib int64) string { return fmt.Sprintf("%.1f", float64(kib)/1024) }

// conns is a connection count, with the lowered thread limit when the scenario set one.
func conns(n int, sc Scenario) string {
	if sc.MaxThreads > 0 {
		return fmt.Sprintf("%d (max-threads %d)", n, sc.MaxThreads)
	}
	return strconv.Itoa(n)
}

// outcome is the result column: ok, or what went wrong, on one line and safe inside a table.
func outcome(r Result) string {
	var s string
	switch {
	case r.Died != "":
		s = "died: " + r.Died
	case r.Error != "":
		s = "failed: " + r.Error
	case r.PingPong != nil && r.PingPong.Mismatches > 0:
		s = "MISMATCHES"
	case r.HTTP != nil && r.HTTP.Mismatches+r.HTTP.Non2xx > 0:
		s = "WRONG ANSWERS"
	case r.HTTP != nil && r.HTTP.SocketErrors > 0:
		s = "socket errors"
	default:
		s = "ok"
	}
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// WriteMarkdown writes a line saying where and how the results were measured, then every table
// under its title.
func WriteMarkdown(w io.Writer, rep *Report) error {
	m := rep.Machine
	mode := "full"
	if rep.Quick {
		mode = "quick"
	}
	cpu := ""
	if m.CPUModel != "" {
		cpu = " (" + m.CPUModel + ")"
	}
	pinning := "not pinned"
	if m.Pinning != nil {
		pinning = m.Pinning.Note
	}
	_, err := fmt.Fprintf(w, "Measured %s on %d CPUs%s, %s, %s; %s; %s run, %d round(s), median round shown; CPU from /proc at %d ticks/s.\n",
		m.Date, m.CPUs, cpu, m.Kernel, m.GoVersion, pinning, mode, rep.Rounds, m.ClockTicks)
	if err != nil {
		return err
	}
	if err := writeNotes(w, rep); err != nil {
		return err
	}
	for _, t := range Tables(rep.Summary) {
		if _, err := fmt.Fprintf(w, "\n### %s\n\n%s%s", t.Title, t.Markdown(), t.notes()); err != nil {
			return err
		}
	}
	return nil
}

// writeNotes says what ran the servers that are not the book's, and which rows were left out.
func writeNotes(w io.Writer, rep *Report) error {
	var notes []string
	for _, r := range rep.Summary {
		if note := r.Server + ": " + r.External; r.External != "" && !slices.Contains(notes, note) {
			notes = append(notes, note)
		}
	}
	for _, s := range rep.Skipped {
		notes = append(notes, "not measured: "+s)
	}
	for _, n := range notes {
		if _, err := fmt.Fprintf(w, "%s.\n", strings.TrimSuffix(n, ".")); err != nil {
			return err
		}
	}
	return nil
}
