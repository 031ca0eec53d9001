// Running one test alone in a new process of the test binary.

package testutil

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// freshProcessEnv names the test a child process is to run when the test binary runs itself again.
const freshProcessEnv = "TORNADOTCP_FRESH_PROCESS"

// InFreshProcess runs the calling test again, alone, in a new process of this test binary, and
// fails t if it fails there; it returns true in the parent, which then has nothing more to do, and
// false in the child, where the test's body is to run. Use it for measurements of the whole
// process: the Go runtime never ends an idle OS thread, so a thread count means something only in
// a process that earlier tests have not filled with idle threads.
func InFreshProcess(t *testing.T) bool {
	t.Helper()
	name := t.Name()
	if os.Getenv(freshProcessEnv) == name {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+name+"$", "-test.count=1", "-test.v", "-test.timeout=1m")
	// A race-enabled binary sleeps a second before it exits unless told not to.
	cmd.Env = append(os.Environ(), freshProcessEnv+"="+name, "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	out, err := cmd.CombinedOutput()
	t.Logf("in a fresh process:\n%s", out)
	if err != nil || !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("%s in a fresh process failed: %v", name, err)
	}
	return true
}

// BuildChapters builds the chapters command into dir and returns the binary's path, for tests
// that start servers as processes of their own (`chapters run ID`), the way the bench does.
func BuildChapters(dir string) (string, error) {
	bin := filepath.Join(dir, "chapters")
	out, err := exec.Command("go", "build", "-o", bin, "tornadotcp/chapters").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build tornadotcp/chapters: %w\n%s", err, out)
	}
	return bin, nil
}
