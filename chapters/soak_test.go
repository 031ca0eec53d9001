// Tests of the soak subcommand's flags.

package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/soak"
)

func TestSoakFlagsDefaults(t *testing.T) {
	var stderr bytes.Buffer
	f, code, ok := parseSoakFlags(nil, &stderr)
	if !ok || code != 0 {
		t.Fatalf("parse: exit %d, %s", code, stderr.String())
	}
	if f.duration != 2*time.Minute || f.conns != 10_000 || f.fdLimit != 256 {
		t.Errorf("defaults: -d %v, -conns %d, -fdlimit %d; want 2m, 10000, 256", f.duration, f.conns, f.fdLimit)
	}
	if got := strings.Join(f.servers, ","); !strings.Contains(got, "ch03/epoll") || !strings.Contains(got, "ch04/http") ||
		!strings.Contains(got, "ch06/tls-echo") || !strings.Contains(got, "ch06/https") || strings.Contains(got, "ch01/") {
		t.Errorf("default servers %s; want the non-blocking ones, the TLS ones included", got)
	}
	if len(f.faults) != len(soak.Faults) {
		t.Errorf("%d faults by default, want all %d", len(f.faults), len(soak.Faults))
	}
}

func TestSoakFlagsChoose(t *testing.T) {
	var stderr bytes.Buffer
	f, _, ok := parseSoakFlags([]string{"-d", "10m", "-servers", "ch03/epoll,ch04/echo", "-faults", "churn,resets"}, &stderr)
	if !ok {
		t.Fatalf("parse: %s", stderr.String())
	}
	if f.duration != 10*time.Minute || len(f.servers) != 2 || len(f.faults) != 2 || f.faults[1].Name != "resets" {
		t.Errorf("got -d %v, servers %v, %d faults", f.duration, f.servers, len(f.faults))
	}
}

func TestSoakFlagsRefused(t *testing.T) {
	for _, args := range [][]string{{"-faults", "meteor"}, {"-d", "0s"}, {"-fdlimit", "3"}, {"extra"}} {
		var stderr bytes.Buffer
		if _, code, ok := parseSoakFlags(args, &stderr); ok || code != 2 {
			t.Errorf("%q: ok %v, exit %d; want refused with 2", args, ok, code)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"soak", "-servers", "ch99/nothing"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "unknown server id") {
		t.Errorf("unknown server: exit %d, %q", code, stderr.String())
	}
	stderr.Reset()
	if _, code, ok := parseSoakFlags([]string{"-h"}, &stderr); ok || code != 0 || !strings.Contains(stderr.String(), "slowloris") {
		t.Errorf("-h: ok %v, exit %d, %q; want the faults listed and exit 0", ok, code, stderr.String())
	}
}
