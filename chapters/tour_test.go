// Tests of the tour: each lesson narrates what it measured, and the measurements show the lesson.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// testTourEnv narrates into out. Under `go test`, os.Executable is this test binary, not
// chapters, so a lesson's child process is this binary again, made into the chapters command by
// TestRunHelperProcess (runserver_test.go).
func testTourEnv(out *bytes.Buffer) *tourEnv {
	return &tourEnv{out: out, self: func(args ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestRunHelperProcess$", "--"}, args...)...)
		cmd.Env = append(os.Environ(), runHelperEnv+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
		return cmd
	}}
}

func TestTourCh01(t *testing.T) {
	if testutil.InFreshProcess(t) {
		return
	}
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	f, err := runCh01(testTourEnv(&out))
	text := out.String()
	if err != nil {
		t.Fatalf("chapter 1's lesson failed: %v\nnarration so far:\n%s", err, text)
	}
	t.Logf("narration:\n%s", text)

	// (a) The iterative server: B is echoed only after A has left, so B waited at least as long
	// as A stayed.
	if f.Wait.BWaited < ch01Plan.HoldA {
		t.Errorf("client B waited %v, less than the %v client A stayed: the server did not serialise", f.Wait.BWaited, ch01Plan.HoldA)
	}
	if f.Wait.AfterA <= 0 || f.Wait.AfterA > f.Wait.BWaited {
		t.Errorf("client B echoed %v after A left, out of a %v wait", f.Wait.AfterA, f.Wait.BWaited)
	}
	mustSay(t, text, fmt.Sprintf("client B waited %d ms for client A to leave", f.Wait.BWaited.Milliseconds()))

	// (b) The threaded server: at least one thread per connected client. A little slack for the
	// runtime's own threads being counted in the base and retired later.
	const slack = 5
	if len(f.Climb.Steps) != len(ch01Plan.Steps) {
		t.Fatalf("%d thread counts, want one per step %v", len(f.Climb.Steps), ch01Plan.Steps)
	}
	mustSay(t, text, fmt.Sprintf("this process had %d OS threads before the server started", f.Climb.Base))
	for i, s := range f.Climb.Steps {
		if s.Clients != ch01Plan.Steps[i] {
			t.Errorf("step %d: %d clients, want %d", i, s.Clients, ch01Plan.Steps[i])
		}
		if d := s.Delta(f.Climb.Base); d < s.Clients-slack {
			t.Errorf("%d clients added only %d threads: not one thread per blocked recv", s.Clients, d)
		}
		mustSay(t, text, fmt.Sprintf("%4d clients connected, each echoed once: %4d threads, %+5d", s.Clients, s.Threads, s.Delta(f.Climb.Base)))
	}

	// (c) Thread exhaustion: the child died of it, after some clients and before the bound.
	x := f.Exhaustion
	if x.Echoed == 0 || x.Echoed >= ch01Plan.Exhaustion.MaxClients {
		t.Errorf("the child echoed %d clients before dying; want between 1 and %d", x.Echoed, ch01Plan.Exhaustion.MaxClients-1)
	}
	if x.Threads < x.Echoed-slack {
		t.Errorf("the child had %d threads after %d clients: not one thread per blocked recv", x.Threads, x.Echoed)
	}
	want := []string{fmt.Sprintf("runtime: program exceeds %d-thread limit", ch01Plan.Exhaustion.Limit), "fatal error: thread exhaustion"}
	for _, line := range want {
		if !slices.Contains(x.Fatal, line) {
			t.Errorf("the child's fatal lines %q lack %q", x.Fatal, line)
		}
		mustSay(t, text, "      "+line)
	}
	if x.Exit != "exit status 2" {
		t.Errorf("the child ended with %q, want exit status 2 (the runtime's fatal error)", x.Exit)
	}
	mustSay(t, text, fmt.Sprintf("%d clients were echoed; the child had %d OS threads", x.Echoed, x.Threads))
	mustSay(t, text, "and it ended with "+x.Exit)
}

func mustSay(t *testing.T, narration, want string) {
	t.Helper()
	if !strings.Contains(narration, want) {
		t.Errorf("the narration does not say %q", want)
	}
}

// Each part of the lesson fails, rather than narrating something else, when the server in front
// of it does not behave as the chapter says.

func TestTourIterativeWaitNeedsASerialisingServer(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	_, err := iterativeWait(testTourEnv(&out), "ch01/threaded", ch01Plan.HoldA)
	if err == nil || !strings.Contains(err.Error(), "did not serialise") {
		t.Errorf("on ch01/threaded: error %v, want one saying the server did not serialise", err)
	}
	if strings.Contains(out.String(), "client B waited") {
		t.Errorf("narrated a wait that did not happen:\n%s", out.String())
	}
}

func TestTourThreadClimbNeedsAThreadPerConnection(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	_, err := threadClimb(testTourEnv(&out), "ch00/net", []int{10})
	if !errors.Is(err, errNoClimb) {
		t.Errorf("on ch00/net (no thread per connection): error %v, want %v", err, errNoClimb)
	}
}

func TestTourExhaustionNeedsTheChildToDie(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	plan := exhaustionPlan{Limit: 10000, MaxClients: 3, Within: 10 * time.Second, Grace: 100 * time.Millisecond}
	f, err := threadExhaustion(testTourEnv(&out), plan)
	if err == nil || !strings.Contains(err.Error(), "still serving") {
		t.Errorf("with a limit of 10,000 and 3 clients: error %v, want one saying the child was still serving", err)
	}
	if f.Echoed != 3 {
		t.Errorf("%d clients echoed, want all 3", f.Echoed)
	}
}

func TestTourRuntimeFatal(t *testing.T) {
	stderr := "runtime: program exceeds 100-thread limit\nfatal error: thread exhaustion\n\nruntime stack:\nruntime.throw(...)\n"
	got := runtimeFatal([]byte(stderr))
	want := []string{"runtime: program exceeds 100-thread limit", "fatal error: thread exhaustion"}
	if !slices.Equal(got, want) {
		t.Errorf("runtimeFatal = %q, want %q", got, want)
	}
	if got := runtimeFatal([]byte("chapters run: listen: address in use\n")); len(got) != 0 {
		t.Errorf("runtimeFatal found %q in an ordinary error", got)
	}
}

func TestTourLessonsInBookOrder(t *testing.T) {
	if len(lessons) == 0 || lessons[0].chapter != 1 {
		t.Fatalf("the tour must start with chapter 1's lesson")
	}
	for i := 1; i < len(lessons); i++ {
		if lessons[i].chapter <= lessons[i-1].chapter {
			t.Errorf("lesson %d is chapter %d, after chapter %d: one lesson per chapter, in book order",
				i, lessons[i].chapter, lessons[i-1].chapter)
		}
	}
	for _, l := range lessons {
		if l.title == "" || l.run == nil {
			t.Errorf("chapter %d's lesson needs a title and a run function", l.chapter)
		}
	}
}

// A failing lesson is reported on stderr and makes the tour exit non-zero, and the lessons after
// it still run.
func TestTourFailingLesson(t *testing.T) {
	var out, errOut bytes.Buffer
	ran := false
	status := runLessons(testTourEnv(&out), []lesson{
		{1, "fails", func(*tourEnv) error { return errors.New("the server did not serialise") }},
		{2, "runs anyway", func(env *tourEnv) error { ran = true; env.say("measured"); return nil }},
	}, &errOut)
	if status == 0 {
		t.Errorf("exit status 0 after a failed lesson")
	}
	if got, want := errOut.String(), "chapters: tour: chapter 1: the server did not serialise\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	if !ran {
		t.Errorf("the lesson after the failed one did not run")
	}
	mustSay(t, out.String(), "Chapter 2: runs anyway\nmeasured\n(chapter 2's lesson took ")
	if strings.Contains(out.String(), "chapter 1's lesson took") {
		t.Errorf("a failed lesson was timed as if it had finished:\n%s", out.String())
	}
}

// A child that prints no listening line is an error that carries what it said, and is gone.
func TestTourChildWithoutListeningLine(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	_, err := startChild(testTourEnv(&out), 10*time.Second, "run", "no/such-server", "-addr", "127.0.0.1:0")
	if err == nil {
		t.Fatal("startChild succeeded for a server id that does not exist")
	}
	if !strings.Contains(err.Error(), `unknown server id "no/such-server"`) {
		t.Errorf("error %q does not pass on the child's own message", err)
	}
}
