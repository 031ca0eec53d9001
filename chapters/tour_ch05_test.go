// Chapter 5's lesson: three children on one port, one reborn with its task id, none left after
// the parent stops.

package main

import (
	"bytes"
	"fmt"
	"testing"

	"tornadotcp/internal/testutil"
)

func TestTourCh05(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	f, err := runCh05(testTourEnv(&out))
	text := out.String()
	if err != nil {
		t.Fatalf("chapter 5's lesson failed: %v\nnarration so far:\n%s", err, text)
	}
	t.Logf("narration:\n%s", text)

	seen := map[int]bool{}
	for task := range ch05Plan.Procs {
		pid := f.Pids[task]
		if pid == 0 || seen[pid] || pid == f.Parent {
			t.Errorf("task %d answered as pid %d; want a pid of its own (pids %v, parent %d)", task, pid, f.Pids, f.Parent)
		}
		seen[pid] = true
		if f.Ppids[task] != f.Parent {
			t.Errorf("task %d (pid %d) is a child of %d, not of the parent %d", task, pid, f.Ppids[task], f.Parent)
		}
		mustSay(t, text, fmt.Sprintf("task=%d pid=%d, child of pid %d", task, pid, f.Parent))
	}
	if f.Reborn == 0 || f.Reborn == f.Killed || seen[f.Reborn] {
		t.Errorf("task %d: killed pid %d, reborn as %d; want a new pid", ch05Plan.Kill, f.Killed, f.Reborn)
	}
	mustSay(t, text, fmt.Sprintf("task=%d answered again, as pid %d", ch05Plan.Kill, f.Reborn))
	mustSay(t, text, fmt.Sprintf("the parent logged: Starting %d processes", ch05Plan.Procs))
	mustSay(t, text, fmt.Sprintf("the parent logged: child %d (pid %d) killed by signal 9, restarting", ch05Plan.Kill, f.Killed))
	if f.Exit != "exit status 0" || len(f.Leftovers) != 0 {
		t.Errorf("after SIGTERM: %s, leftovers %v; want exit status 0 and none", f.Exit, f.Leftovers)
	}
	mustSay(t, text, "ended with exit status 0; none of them is left")
}
