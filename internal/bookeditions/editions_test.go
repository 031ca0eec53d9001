package bookeditions

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// bookDir is book/, seen from this package's directory.
const bookDir = "../../book"

// notTranslated are the folders of book/ that both editions share as they are.
var notTranslated = map[string]bool{"zh": true, "results": true, "examples": true, "figures": true}

// TestEditionsInStep: every English page has a Chinese twin with the same skeleton, and the
// Chinese edition has no page the English lacks.
func TestEditionsInStep(t *testing.T) {
	english := pages(t, bookDir, notTranslated)
	chinese := pages(t, filepath.Join(bookDir, "zh"), nil)
	for _, rel := range english {
		t.Run(rel, func(t *testing.T) {
			en := read(t, filepath.Join(bookDir, rel))
			zhText, err := os.ReadFile(filepath.Join(bookDir, "zh", rel))
			if err != nil {
				t.Fatalf("no Chinese edition of book/%s: %v", rel, err)
			}
			err = Compare(Skeleton(path.Join("book", path.Dir(rel)), en),
				Skeleton(path.Join("book/zh", path.Dir(rel)), string(zhText)))
			if err != nil {
				t.Errorf("book/%s and book/zh/%s are out of step: %v", rel, rel, err)
			}
		})
	}
	have := map[string]bool{}
	for _, rel := range english {
		have[rel] = true
	}
	for _, rel := range chinese {
		if !have[rel] {
			t.Errorf("book/zh/%s has no English page book/%s", rel, rel)
		}
	}
}

// pages lists the Markdown files under root, relative to it, skipping the folders named in skip.
func pages(t *testing.T, root string, skip map[string]bool) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if skip[rel] {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".md") {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
