package soak

import (
	"fmt"
	"os"
	"testing"

	"tornadotcp/internal/testutil"
)

// chaptersBinary is the real `chapters` command, built once for the tests that soak the book's
// servers. Empty if it could not be built (buildErr says why).
var chaptersBinary, buildErr = "", error(nil)

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEnv); mode != "" {
		serveFake(mode)
		return
	}
	dir, err := os.MkdirTemp("", "soak-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	chaptersBinary, buildErr = testutil.BuildChapters(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needProc(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("the soak reads /proc, which this system does not have")
	}
}

// fakeTarget is this test binary serving a planted fault.
func fakeTarget(t *testing.T, mode string) Target {
	t.Setenv(fakeEnv, mode)
	return Target{ID: "fake/" + mode, Proto: Echo, Argv: []string{os.Args[0]}}
}
