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

// -render runs nothing: it redraws a results directory from its bench.json and updates the
// chapters beside it that embed its tables, and it takes none of the run's flags.
func TestBenchRender(t *testing.T) {
	var stderr bytes.Buffer
	if _, code, ok := parseBenchFlags([]string{"-h"}, &stderr); ok || code != 0 || !strings.Contains(stderr.String(), "go run ./chapters bench -render book/results") {
		t.Errorf("usage does not say how to re-render the book's results:\n%s", stderr.String())
	}
	for _, args := range [][]string{{"-render", "x", "-quick"}, {"-render", "x", "-out", "y"}, {"-render", "x", "-servers", "ch00/net"}} {
		stderr.Reset()
		if _, code, ok := parseBenchFlags(args, &stderr); ok || code != 2 {
			t.Errorf("%q: ok %v, exit %d; want exit 2", args, ok, code)
		}
	}

	book := t.TempDir()
	results := filepath.Join(book, "results")
	if err := os.Mkdir(results, 0o755); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile("../book/results/bench.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(results, "bench.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	chapter := filepath.Join(book, "01-one.md")
	if err := os.WriteFile(chapter, []byte("# One\n\n<!-- bench table: results/ch01-idle.md -->\n<!-- end bench table -->\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	stderr.Reset()
	if code := bench([]string{"-render", results}, &stdout, &stderr); code != 0 {
		t.Fatalf("-render: exit %d: %s", code, stderr.String())
	}
	table, err := os.ReadFile(filepath.Join(results, "ch01-idle.md"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(chapter)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "\n\n"+string(table)+"\n<!-- end bench table -->") || !strings.Contains(string(table), "| ch01/threaded |") {
		t.Errorf("the chapter's block was not filled with ch01-idle.md:\n%s", got)
	}
	if !strings.Contains(stderr.String(), "tables updated in "+chapter) {
		t.Errorf("stderr does not name the chapter it changed: %s", stderr.String())
	}
	if after, err := os.ReadFile(filepath.Join(results, "bench.json")); err != nil || !bytes.Equal(after, js) {
		t.Errorf("bench.json changed (%v)", err)
	}
	if code := bench([]string{"-render", t.TempDir()}, &stdout, &stderr); code != 1 {
		t.Errorf("-render of a directory with no bench.json: exit %d, want 1", code)
	}
}
