// The rows of a soak and the one-screen report.

package soak

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Row is one fault played against one server process.
type Row struct {
	Server, Fault string
	Window        time.Duration // how long the fault ran, setup excluded
	Conns         int64         // connections opened
	Bytes         int64         // answer bytes received and verified
	Mismatches    int64         // answers that differ from what was owed
	// Errors are failed exchanges where every exchange must succeed (verified traffic, churn,
	// a fresh client beside slowloris and stalled clients): a reset, a timeout, no EOF.
	Errors int64
	Died   string // why the server died ("" if it did not)
	// Serving is whether a fresh client was served after the fault's clients had gone.
	Serving             bool
	Before, Peak, After Usage
	LeakFDs             int   // descriptors still open after settling, beyond the allowance
	LeakRSSKiB          int64 // RSS growth from the first half of the fault to the second
	Note                string
	FirstErr            string // the first error, for the progress line
	Stop                string // why SIGTERM did not end the server with status 0 ("" if it did)
}

// Failed says whether the row is a finding: a wrong byte, a failed exchange, a death, a server
// that no longer serves, or a leak.
func (r Row) Failed() bool {
	return r.Mismatches > 0 || r.Errors > 0 || r.Died != "" || !r.Serving || r.LeakFDs > 0 || r.LeakRSSKiB > 0 ||
		r.Stop != ""
}

// Report is a whole soak.
type Report struct {
	Rows     []Row
	Duration time.Duration // what was asked for
	Window   time.Duration // each fault's share of it
	Elapsed  time.Duration // what it took, setup and settling included
	Settle   time.Duration
	Conns    int    // the most connections a fault held at once
	Limit    int    // the exhaust fault's server's descriptor limit
	FDLimit  string // what was done to this process's descriptor limit
}

// Failed says whether any row failed.
func (rep *Report) Failed() bool {
	for _, r := range rep.Rows {
		if r.Failed() {
			return true
		}
	}
	return false
}

// Write prints the report: a row per server and fault, a total, and how to read it.
func (rep *Report) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, rowFormat, "server", "fault", "conns", "verified", "bad", "errs", "up", "fds b/p/a",
		"MiB b/p/a", "leak", "note")
	var total Row
	var deaths, leaks int
	for _, r := range rep.Rows {
		b.WriteString(r.line())
		total.Conns += r.Conns
		total.Bytes += r.Bytes
		total.Mismatches += r.Mismatches
		total.Errors += r.Errors
		if r.Died != "" || !r.Serving {
			deaths++
		}
		leaks += r.LeakFDs
		if r.LeakRSSKiB > 0 {
			leaks++
		}
	}
	verdict := "PASS"
	if rep.Failed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, rowFormat, "total", "", strconv.FormatInt(total.Conns, 10), bytesString(total.Bytes),
		strconv.FormatInt(total.Mismatches, 10), strconv.FormatInt(total.Errors, 10), "", "", "",
		strconv.Itoa(leaks), fmt.Sprintf("%s: %d rows, %d down, %v", verdict, len(rep.Rows), deaths,
			rep.Elapsed.Round(time.Second)))
	fmt.Fprintf(&b, "Each fault ran %v (plus setup) on a fresh server, up to %d connections (exhaust: %d\n",
		rep.Window.Round(time.Millisecond), rep.Conns, rep.Limit*4)
	fmt.Fprintf(&b, "clients, server under ulimit -n %d). ", rep.Limit)
	fmt.Fprintf(&b, "%s.\n", rep.FDLimit)
	fmt.Fprintf(&b, "bad: answers unlike what was owed. errs: failed exchanges where all must succeed. fds: the\n")
	fmt.Fprintf(&b, "server's before/peak/after its clients left (up to %v); a leak is a socket left open or over\n", rep.Settle)
	fmt.Fprintf(&b, "%d other new descriptors (the runtime's poller). RSS before/peak/after: Go returns freed heap only\n", runtimeFDs)
	fmt.Fprintf(&b, "after a GC lowers its goal (forced every 2 min when idle), so 'after' stays near the peak; a leak\n")
	fmt.Fprintf(&b, "is a repeating fault's peak RSS growing from its first half to its second by over max(%d MiB, 25%%).\n",
		rssSlackKiB>>10)
	_, err := io.WriteString(w, b.String())
	return err
}

// rowFormat lays out a row in 85 columns before the note, which gets the 35 left of a 120-column
// screen.
const rowFormat = "%-13s %-9s %6s %9s %3s %4s %-4s %-11s %-9s %-4s %s\n"

// line is the row on the screen.
func (r Row) line() string {
	alive := "yes"
	switch {
	case r.Died != "":
		alive = "DIED"
	case !r.Serving:
		alive = "NO"
	}
	fds, rss, leaks := "-", "-", "-"
	if r.Died == "" {
		fds = fmt.Sprintf("%d/%d/%d", r.Before.FDs, r.Peak.FDs, r.After.FDs)
		rss = fmt.Sprintf("%s/%s/%s", mib(r.Before.RSSKiB), mib(r.Peak.RSSKiB), mib(r.After.RSSKiB))
		leaks = "0"
		var parts []string
		if r.LeakFDs > 0 {
			parts = append(parts, fmt.Sprintf("%dfd", r.LeakFDs))
		}
		if r.LeakRSSKiB > 0 {
			parts = append(parts, "rss")
		}
		if len(parts) > 0 {
			leaks = strings.Join(parts, "+")
		}
	}
	note := r.Note
	switch {
	case r.Died != "":
		note = r.Died
	case r.Stop != "":
		note = "stop: " + r.Stop
	case !r.Serving:
		note = "not serving: " + r.FirstErr
	}
	return fmt.Sprintf(rowFormat, r.Server, r.Fault, strconv.FormatInt(r.Conns, 10), bytesString(r.Bytes),
		strconv.FormatInt(r.Mismatches, 10), strconv.FormatInt(r.Errors, 10), alive, fds, rss, leaks,
		clip(note, 35))
}

func mib(kib int64) string { return fmt.Sprintf("%.0f", float64(kib)/1024) }

// bytesString is n in B, KiB, MiB or GiB, in at most nine columns.
func bytesString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 100<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}
