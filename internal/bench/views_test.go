package bench

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// bookResults is the directory the book's results are committed in.
const bookResults = "../../book/results"

func bookReport(t *testing.T) *Report {
	t.Helper()
	rep, err := ReadReport(filepath.Join(bookResults, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// The committed tables and charts are what the committed bench.json renders to, and every
// chapter's embedded copy of a table is the table's file: CI fails when either drifts.
func TestBookResultsInSync(t *testing.T) {
	rep := bookReport(t)
	files, err := Rendered(rep)
	if err != nil {
		t.Fatal(err)
	}
	const fix = "re-render with: go run ./chapters bench -render book/results"
	for _, name := range slices.Sorted(maps.Keys(files)) {
		want := files[name]
		got, err := os.ReadFile(filepath.Join(bookResults, name))
		if err != nil {
			t.Errorf("%s: %v; %s", name, err, fix)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("book/results/%s differs from what bench.json renders; %s", name, fix)
		}
	}
	chapters, err := BookPages("../../book")
	if err != nil {
		t.Fatal(err)
	}
	embedded := 0
	for _, ch := range chapters {
		blocks, err := EmbeddedTables(ch)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, b := range blocks {
			embedded++
			rel, _ := filepath.Rel("../../book", filepath.Join(filepath.Dir(ch), b.Path))
			name, ok := strings.CutPrefix(filepath.ToSlash(rel), "results/")
			if ok && files[name] == nil && !viewRanIn(rep, name) {
				t.Logf("%s:%d embeds %s, from a view bench.json has none of the servers of yet: the next full run writes it", ch, b.Line, b.Path)
				continue
			}
			if !ok || files[name] == nil {
				t.Errorf("%s:%d embeds %s, which bench.json does not render", ch, b.Line, b.Path)
				continue
			}
			if b.Text != BlockText(files[name]) {
				t.Errorf("%s:%d: the copy of %s differs from the file; %s", ch, b.Line, b.Path, fix)
			}
		}
	}
	if embedded == 0 {
		t.Error("no chapter embeds a bench table")
	}
}

// viewRanIn reports whether the view that renders file name (ch05-scaling.md: chapter 5's) has
// its servers in rep.
func viewRanIn(rep *Report, name string) bool {
	chapter, _, _ := strings.Cut(name, "-")
	for _, v := range Views {
		if v.Chapter == chapter {
			return v.ranIn(rep)
		}
	}
	return true
}

// Each view shows its chapter's servers, the baselines and the previous chapter, and no other.
func TestViewsRows(t *testing.T) {
	rep := bookReport(t)
	files := ViewFiles(rep)
	// The real Tornado's rows are there when it was installed for the run; bench.json says
	// in Skipped when it was not, and then no view may be expected to show them.
	tornadoRan := slices.ContainsFunc(rep.Results, func(r Result) bool { return strings.HasPrefix(r.Server, "tornado/") })
	for _, tt := range []struct {
		file      string
		want, not []string
	}{
		{"ch01-pingpong.md", []string{"ch01/iterative", "ch01/threaded", "ch00/net", "c/epoll", "gnet/echo", "tornado/echo"}, []string{"ch02/", "ch03/", "ch04/"}},
		{"ch02-watchcost.md", []string{"ch02/busypoll", "ch02/select", "ch02/poll", "ch01/threaded", "ch00/net"}, []string{"ch03/", "ch04/"}},
		{"ch03-pingpong.md", []string{"ch03/epoll", "ch03/poll", "ch02/poll", "c/epoll", "ch01/threaded"}, []string{"ch01/iterative", "ch04/"}},
		{"ch04-http.md", []string{"ch04/http", "ch00/http", "nginx/http", "tornado/http"}, []string{"ch03/"}},
		{"ch04-pingpong.md", []string{"ch04/echo", "ch03/epoll", "ch00/net", "c/epoll", "gnet/echo", "tornado/echo"}, []string{"ch01/", "ch02/"}},
		{"ch07-stalled.md", []string{"ch00/net", "ch02/select", "ch03/epoll", "ch04/http"}, nil},
	} {
		body := string(files[tt.file])
		if body == "" {
			t.Errorf("no %s", tt.file)
			continue
		}
		servers := map[string]bool{}
		for _, l := range strings.Split(body, "\n") {
			if cells := strings.Split(l, "|"); len(cells) > 2 && strings.HasPrefix(l, "| ") {
				servers[strings.TrimSpace(cells[1])] = true
			}
		}
		for _, w := range tt.want {
			if strings.HasPrefix(w, "tornado/") && !tornadoRan {
				if len(rep.Skipped) == 0 {
					t.Errorf("bench.json has no %s rows and does not say why in skipped", w)
				}
				continue
			}
			if !servers[w] {
				t.Errorf("%s has no %s rows:\n%s", tt.file, w, body)
			}
		}
		for s := range servers {
			for _, n := range tt.not {
				if strings.HasPrefix(s, n) {
					t.Errorf("%s has %s rows, which are not its chapter's, the previous one's or a baseline's", tt.file, s)
				}
			}
		}
	}
}

// A view file is a caption, a blank line, a table whose lines all have the header's cells, and
// its notes; the caption says the real Tornado is 6.2 on asyncio wherever its rows are shown,
// and each note a row points to is there.
func TestViewFilesStructure(t *testing.T) {
	rep := bookReport(t)
	files := ViewFiles(rep)
	for _, v := range Views {
		if !v.ranIn(rep) {
			t.Logf("view %s: bench.json has none of its servers yet", v.Chapter)
			continue
		}
		for _, name := range v.Tables {
			if files[v.Chapter+"-"+name+".md"] == nil {
				t.Errorf("view %s: no %s table", v.Chapter, name)
			}
		}
		for _, name := range v.Charts {
			if files[v.Chapter+"-"+name+".svg"] == nil {
				t.Errorf("view %s: no %s chart", v.Chapter, name)
			}
		}
	}
	for name, data := range files {
		if !strings.HasSuffix(name, ".md") {
			parseSVG(t, data)
			if strings.Contains(string(data), "tornado/") && !strings.Contains(string(data), "not Tornado 3.2") {
				t.Errorf("%s charts the real Tornado without saying it is not 3.2", name)
			}
			continue
		}
		caption, rest, ok := strings.Cut(string(data), "\n\n")
		if !ok || !strings.HasPrefix(caption, "*") || strings.Contains(caption, "\n") {
			t.Errorf("%s does not start with a one-line caption and a blank line:\n%s", name, data)
			continue
		}
		table, notes, _ := strings.Cut(rest, "\n\n")
		lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
		for i, l := range lines {
			if cells(l) != cells(lines[0]) || !strings.HasPrefix(l, "| ") {
				t.Errorf("%s line %d is not a row of the table: %q", name, i+1, l)
			}
		}
		if strings.Contains(table, "tornado/") && !strings.Contains(caption, "Tornado 6.2 on Python") || strings.Contains(table, "tornado/") && !strings.Contains(caption, "on asyncio: not Tornado 3.2") {
			t.Errorf("%s shows tornado/* rows but its caption does not say they are Tornado 6.2 on asyncio:\n%s", name, caption)
		}
		for i := 1; strings.Contains(table, fmt.Sprintf("(note %d)", i)); i++ {
			if !strings.Contains(notes, fmt.Sprintf("- Note %d: ", i)) {
				t.Errorf("%s: a row points to note %d, which is not there:\n%s", name, i, data)
			}
		}
		for _, l := range lines {
			if w := len([]rune(l)); w > 200 {
				t.Errorf("%s: a line %d wide", name, w)
			}
		}
	}
}

// Chapter blocks are found, rewritten from their files, and left alone when they already match;
// unpaired comments are errors.
func TestSyncChapters(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "results"), 0o755); err != nil {
		t.Fatal(err)
	}
	table := "*T.*\n\n| a |\n| - |\n| 1 |\n"
	if err := os.WriteFile(filepath.Join(dir, "results", "ch09-t.md"), []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	chapter := "# Nine\n\nBefore.\n\n<!-- bench table: results/ch09-t.md -->\nstale\n<!-- end bench table -->\n\nAfter.\n"
	path := filepath.Join(dir, "09-nine.md")
	if err := os.WriteFile(path, []byte(chapter), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := SyncChapters(dir)
	if err != nil || !slices.Equal(changed, []string{path}) {
		t.Fatalf("SyncChapters = %q, %v; want %s changed", changed, err, path)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "# Nine\n\nBefore.\n\n<!-- bench table: results/ch09-t.md -->\n\n" + table + "\n<!-- end bench table -->\n\nAfter.\n"
	if string(got) != want {
		t.Errorf("synced chapter:\n%s\nwant:\n%s", got, want)
	}
	if changed, err := SyncChapters(dir); err != nil || len(changed) != 0 {
		t.Errorf("a second sync changed %q, %v; want nothing", changed, err)
	}

	for _, bad := range []string{
		"<!-- bench table: results/ch09-t.md -->\nno end\n",
		"<!-- bench table: results/ch09-t.md -->\n<!-- bench table: results/ch09-t.md -->\n<!-- end bench table -->\n",
		"<!-- bench table: two words -->\n<!-- end bench table -->\n",
	} {
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := SyncChapters(dir); !errors.Is(err, ErrEmbed) {
			t.Errorf("chapter %q: err %v, want ErrEmbed", bad, err)
		}
	}
}

// Re-rendering a directory from its bench.json leaves the JSON as it was and writes the rest.
func TestRenderDir(t *testing.T) {
	dir := t.TempDir()
	js, err := os.ReadFile(filepath.Join(bookResults, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bench.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RenderDir(dir); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil || !bytes.Equal(after, js) {
		t.Errorf("bench.json changed by a re-render (%v)", err)
	}
	for _, name := range []string{"bench.md", "ch01-idle.md", "ch04-http-rps.svg", "watchcost-cpu.svg"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("no %s after a re-render: %v", name, err)
		}
	}
	if err := RenderDir(t.TempDir()); err == nil {
		t.Error("a directory with no bench.json re-rendered without an error")
	}
}
