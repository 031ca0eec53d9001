// Tests of the bench subcommand's flags: where its results go.

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A reader's run, with no -out, writes into a new temporary directory of its own, never into
// the book's results.
func TestBenchDefaultOutIsNotTheBook(t *testing.T) {
	var stderr bytes.Buffer
	f, code, ok := parseBenchFlags([]string{"-quick", "-servers", "ch00/net"}, &stderr)
	if !ok || code != 0 {
		t.Fatalf("parse: exit %d, %s", code, stderr.String())
	}
	if f.out != "" {
		t.Errorf("default -out = %q, want none", f.out)
	}
	book, err := filepath.Abs("../book/results")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for range 2 {
		dir, err := resultsDir(f.out)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		if abs == book || strings.HasPrefix(abs, filepath.Dir(book)+string(filepath.Separator)) || !strings.HasPrefix(abs, os.TempDir()) {
			t.Errorf("results would go to %s, want a new directory under %s, not %s", abs, os.TempDir(), book)
		}
		if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
			t.Errorf("%s: %d entries, %v; want a new, empty directory", dir, len(entries), err)
		}
		dirs = append(dirs, dir)
	}
	if dirs[0] == dirs[1] {
		t.Errorf("two runs share %s; want a directory each", dirs[0])
	}
}

// The book's results are written only when asked for by name, and the usage says how.
func TestBenchOutBookResults(t *testing.T) {
	var stderr bytes.Buffer
	f, _, ok := parseBenchFlags([]string{"-out", "book/results"}, &stderr)
	if !ok {
		t.Fatalf("parse: %s", stderr.String())
	}
	if dir, err := resultsDir(f.out); dir != "book/results" || err != nil {
		t.Errorf("resultsDir = %q, %v; want book/results", dir, err)
	}
	stderr.Reset()
	if _, code, ok := parseBenchFlags([]string{"-h"}, &stderr); ok || code != 0 {
		t.Errorf("-h: ok %v, exit %d; want the usage and exit 0", ok, code)
	}
	if !strings.Contains(stderr.String(), "go run ./chapters bench -out book/results") {
		t.Errorf("usage does not say how to regenerate the book's results:\n%s", stderr.String())
	}
}
