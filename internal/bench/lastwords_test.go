package bench

import (
	"fmt"
	"strings"
	"testing"
)

func TestLastWordsPrefersTheRuntimesMessage(t *testing.T) {
	var w lastWords
	fmt.Fprint(&w, "2025/01/01 listening\nruntime: program exceeds 10-thread limit\nfatal error: thread exhaustion\n\ngoroutine 1 [running]:\n")
	for i := range 1000 {
		fmt.Fprintf(&w, "main.f(0x%x)\n\t/src/x.go:%d\n", i, i)
	}
	if got, want := w.Summary(), "runtime: program exceeds 10-thread limit; fatal error: thread exhaustion"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	if n := len(w.Tail()); n != tailLines {
		t.Errorf("kept %d lines, want %d", n, tailLines)
	}
}

func TestLastWordsLastLine(t *testing.T) {
	var w lastWords
	if got := w.Summary(); got != "" {
		t.Errorf("Summary of nothing = %q", got)
	}
	// Written in pieces that split lines, as a pipe delivers them.
	for _, piece := range []string{"first li", "ne\nsecond", " line\n  \n"} {
		w.Write([]byte(piece))
	}
	if got := w.Summary(); got != "second line" {
		t.Errorf("Summary = %q, want the last non-empty line", got)
	}
	w.Write([]byte("unterminated " + strings.Repeat("x", 2*maxLine)))
	if got := w.Summary(); !strings.HasPrefix(got, "unterminated x") || len(got) > maxLine {
		t.Errorf("Summary = %d bytes starting %q, want the unterminated line cut at %d", len(got), got[:min(len(got), 20)], maxLine)
	}
}
