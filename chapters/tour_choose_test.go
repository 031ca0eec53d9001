// Tests of `chapters tour N`: one chapter's lesson alone, and a clear error for a bad N.

package main

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestChooseLessons(t *testing.T) {
	all, err := chooseLessons(lessons, nil)
	if err != nil || len(all) != len(lessons) {
		t.Fatalf("no argument chose %d lessons (err %v), want all %d", len(all), err, len(lessons))
	}
	for _, l := range lessons {
		got, err := chooseLessons(lessons, []string{strconv.Itoa(l.chapter)})
		if err != nil {
			t.Fatalf("chapter %d: %v", l.chapter, err)
		}
		if len(got) != 1 || got[0].chapter != l.chapter || got[0].title != l.title {
			t.Errorf("chapter %d chose %v", l.chapter, got)
		}
	}
}

func TestTourBadChapter(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tour", "99"}, "chapters: tour: no lesson for chapter 99; the tour has chapters " + chapterNumbers(lessons)},
		{[]string{"tour", "three"}, `chapters: tour: "three" is not a chapter number`},
		{[]string{"tour", "1", "2"}, "chapters: tour: one chapter number at most"},
	} {
		var out, errOut bytes.Buffer
		if status := run(c.args, &out, &errOut); status != 2 {
			t.Errorf("%q: exit status %d, want 2", c.args, status)
		}
		if !strings.HasPrefix(errOut.String(), c.want) || !strings.Contains(errOut.String(), "usage: chapters tour [N]") {
			t.Errorf("%q: stderr = %q, want it to start with %q and show the usage", c.args, errOut.String(), c.want)
		}
		if out.Len() != 0 {
			t.Errorf("%q: a bad chapter still narrated %q", c.args, out.String())
		}
	}
}

// The chosen lesson is the only one run: the tour's narration names no other chapter.
func TestTourOneChapterRunsOnlyIt(t *testing.T) {
	var out, errOut bytes.Buffer
	ran := []int{}
	fake := []lesson{
		{1, "one", func(*tourEnv) error { ran = append(ran, 1); return nil }},
		{2, "two", func(*tourEnv) error { ran = append(ran, 2); return errors.New("unused") }},
	}
	chosen, err := chooseLessons(fake, []string{"1"})
	if err != nil {
		t.Fatal(err)
	}
	if status := runLessons(testTourEnv(&out), chosen, &errOut); status != 0 {
		t.Fatalf("exit status %d, stderr %q", status, errOut.String())
	}
	if len(ran) != 1 || ran[0] != 1 || strings.Contains(out.String(), "Chapter 2") {
		t.Errorf("ran %v, narration:\n%s", ran, out.String())
	}
}
