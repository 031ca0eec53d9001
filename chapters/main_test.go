// Tests of the command's dispatch and of the list subcommand.

package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"list"}, &stdout, &stderr); code != 0 {
		t.Fatalf("list exited %d; stderr: %s", code, stderr.String())
	}
	ids := map[string]bool{}
	for line := range strings.Lines(stdout.String()) {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			t.Errorf("list line %q has no description", line)
			continue
		}
		ids[fields[0]] = true
	}
	for _, id := range []string{"ch00/net", "ch01/iterative", "ch01/threaded"} {
		if !ids[id] {
			t.Errorf("list does not show %s:\n%s", id, stdout.String())
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("list wrote to stderr: %q", stderr.String())
	}
}

func TestUnknownCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"frobnicate"}, &stdout, &stderr); code != 2 {
		t.Errorf("unknown command exited %d, want 2", code)
	}
	if msg := stderr.String(); !strings.Contains(msg, `unknown command "frobnicate"`) || !strings.Contains(msg, "usage:") {
		t.Errorf("stderr = %q, want the command named and the usage", msg)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"help", "-h", "--help"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{arg}, &stdout, &stderr); code != 0 {
			t.Errorf("%s exited %d, want 0", arg, code)
		}
		if !strings.Contains(stdout.String(), "chapters run ID") {
			t.Errorf("%s printed %q, want the usage", arg, stdout.String())
		}
	}
}
