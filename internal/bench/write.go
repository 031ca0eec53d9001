// The files a run leaves for the book: JSON, Markdown tables and SVG charts, and the same
// tables and charts re-rendered from a bench.json without running anything.

package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFiles writes into dir (creating it): bench.json (the machine, every round's raw results
// and the summary) and the files Rendered makes from it.
func WriteFiles(dir string, rep *Report) error {
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("bench.json: %w", err)
	}
	files, err := Rendered(rep)
	if err != nil {
		return err
	}
	files["bench.json"] = append(js, '\n')
	return writeAll(dir, files)
}

// Rendered is every file made from a report, keyed by name: bench.md (what standard output
// showed), one NAME.md per table with every server, one ch0N-NAME.md per chapter view (views.go)
// and one NAME.svg per chart.
func Rendered(rep *Report) (map[string][]byte, error) {
	var md bytes.Buffer
	if err := WriteMarkdown(&md, rep); err != nil {
		return nil, err
	}
	files := ViewFiles(rep)
	files["bench.md"] = md.Bytes()
	for _, t := range Tables(rep.Summary) {
		files[t.Name+".md"] = []byte(t.Markdown() + t.notes())
	}
	for _, c := range Charts(rep.Summary) {
		files[c.Name+".svg"] = c.SVG()
	}
	return files, nil
}

// ReadReport reads a bench.json that WriteFiles wrote.
func ReadReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &rep, nil
}

// RenderDir re-renders dir's tables and charts from dir/bench.json, which it leaves as it is:
// how a change to the tables or charts reaches the book without a new run.
func RenderDir(dir string) error {
	rep, err := ReadReport(filepath.Join(dir, "bench.json"))
	if err != nil {
		return err
	}
	files, err := Rendered(rep)
	if err != nil {
		return err
	}
	return writeAll(dir, files)
}

func writeAll(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
