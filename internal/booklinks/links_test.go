// Tests that every relative link in the book and the README resolves.

package booklinks

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the module's root, two directories above this package.
const repoRoot = "../.."

func TestBookLinksResolve(t *testing.T) {
	files := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(repoRoot, "book"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, err := filepath.Rel(repoRoot, p)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found only %v: is repoRoot right?", files)
	}
	checked := 0
	for _, f := range files {
		problems, err := Check(repoRoot, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Error(p)
		}
		checked += len(Links(f, mustRead(t, f)))
	}
	if checked < 50 {
		t.Errorf("only %d relative links in %d files: the link finder is broken", checked, len(files))
	}
}

func mustRead(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLinks(t *testing.T) {
	text := "See [a](../a.go#L3) and [b](b.md \"title\") and [web](https://x.org/y).\n" +
		"`[not](code.md)`\n```\n[fenced](f.md)\n```\n[embedmd]:# (../c.go /x/)\n[ref]: d.md#top\n"
	var got []string
	for _, l := range Links("x.md", text) {
		got = append(got, l.Target)
	}
	want := []string{"../a.go#L3", "b.md", "d.md#top"}
	if !slices.Equal(got, want) {
		t.Errorf("Links = %q, want %q", got, want)
	}
}

func TestAnchors(t *testing.T) {
	text := "# Chapter 1: Blocking\n## Create, bind, listen (三段式)\n```\n# not a heading\n```\n" +
		"## Exercises\n## Exercises\n## `EAGAIN` and `EINTR`\n<a id=\"the-waker\"></a>\n## 唤醒器\n"
	got := Anchors(text)
	for _, want := range []string{"chapter-1-blocking", "create-bind-listen-三段式", "exercises", "exercises-1", "eagain-and-eintr", "the-waker", "唤醒器"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Errorf("a comment in a code fence made an anchor")
	}
}

func TestLineAnchor(t *testing.T) {
	for _, c := range []struct {
		anchor string
		ok     bool
	}{{"L1", true}, {"L10-L20", true}, {"L21", false}, {"top", false}} {
		if err := checkLineAnchor(c.anchor, 20); (err == nil) != c.ok {
			t.Errorf("checkLineAnchor(%q, 20) = %v", c.anchor, err)
		}
	}
}
