package soak

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// soakFaults runs the faults named against targets with opt and returns the report.
func soakFaults(t *testing.T, targets []Target, opt Options, names ...string) *Report {
	t.Helper()
	needProc(t)
	var faults []Fault
	for _, name := range names {
		f, err := FaultNamed(name)
		if err != nil {
			t.Fatal(err)
		}
		faults = append(faults, f)
	}
	var progress bytes.Buffer
	opt.Faults, opt.Progress = faults, &progress
	rep, err := Run(targets, opt)
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", out.String())
	return rep
}

// The book's loop servers come through the faults that their chapters already survive: no
// wrong byte, no failed exchange, no leak, still serving. ch04/http is left out of the stalled
// fault: beside stalled clients it answers a fresh one only after seconds (one connection's
// backlog of pipelined requests holds the loop), a finding the soak reports as a failure, and so
// is ch06/https. The TLS servers also go through the TLS faults.
func TestSoakBookServers(t *testing.T) {
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	testutil.CheckLeaks(t)
	opt := Options{Duration: 2 * time.Second, Conns: 50, Settle: 5 * time.Second, Timeout: 10 * time.Second}
	for _, tt := range []struct {
		id     string
		faults []string
	}{
		{"ch03/epoll", []string{"traffic", "churn", "resets", "slowloris", "stalled"}},
		{"ch04/http", []string{"traffic", "churn", "resets", "slowloris"}},
		{"ch06/tls-echo", []string{"traffic", "churn", "resets", "slowloris", "stalled", "badtls", "stalltls"}},
		{"ch06/https", []string{"traffic", "churn", "resets", "badtls", "stalltls"}},
	} {
		target, err := CatalogTarget(chaptersBinary, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		rep := soakFaults(t, []Target{target}, opt, tt.faults...)
		for _, r := range rep.Rows {
			if r.Failed() {
				t.Errorf("%s %s failed: %s", r.Server, r.Fault, brief(r))
			}
			if r.Conns == 0 || r.Bytes == 0 {
				t.Errorf("%s %s: %d connections, %d bytes verified; want some of each", r.Server, r.Fault, r.Conns, r.Bytes)
			}
		}
		if rep.Failed() {
			t.Errorf("%s: the report says FAIL", tt.id)
		}
	}
}

// A server that survives running out of descriptors passes the exhaust fault: some clients are
// served, the rest turned away, and a fresh one is served once they have gone.
func TestSoakExhaustHealthy(t *testing.T) {
	testutil.CheckLeaks(t)
	opt := Options{Duration: time.Second, Conns: 200, FDLimit: 64, Timeout: 5 * time.Second}
	rep := soakFaults(t, []Target{fakeTarget(t, fakeHealthy)}, opt, "exhaust")
	r := rep.Rows[0]
	if r.Failed() || strings.Contains(r.Note, "NOT served") || r.Conns != 200 {
		t.Errorf("exhaust on a healthy server: %s; want a pass, 200 clients and a fresh one served", brief(r))
	}
}

// Planted faults are findings: a dropped byte is a mismatch, a descriptor kept per connection
// is a leak, a crash is a death, and each fails the report.
func TestSoakFindsPlantedFaults(t *testing.T) {
	testutil.CheckLeaks(t)
	for _, tt := range []struct {
		mode, fault string
		found       func(Row) bool
	}{
		{fakeDropByte, "traffic", func(r Row) bool { return r.Mismatches > 0 }},
		{fakeLeakFD, "churn", func(r Row) bool { return r.LeakFDs > 0 && r.Mismatches == 0 }},
		{fakeCrash, "exhaust", func(r Row) bool { return strings.Contains(r.Died, "planted crash") }},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			opt := Options{Duration: time.Second, Conns: 50, FDLimit: 16, Settle: time.Second, Timeout: time.Second}
			rep := soakFaults(t, []Target{fakeTarget(t, tt.mode)}, opt, tt.fault)
			r := rep.Rows[0]
			if !tt.found(r) || !r.Failed() || !rep.Failed() {
				t.Errorf("%s under %s: %s; want it found and the report failed", tt.mode, tt.fault, brief(r))
			}
		})
	}
}
