// The files a run leaves for the book: JSON, Markdown tables and SVG charts.

package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFiles writes into dir (creating it): bench.json (the machine, every round's raw results
// and the summary), bench.md (what standard output showed), one NAME.md per table for the book
// to embed, and one NAME.svg per chart.
func WriteFiles(dir string, rep *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("bench.json: %w", err)
	}
	files := map[string][]byte{"bench.json": append(js, '\n')}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, rep); err != nil {
		return err
	}
	files["bench.md"] = md.Bytes()
	for _, t := range Tables(rep.Summary) {
		files[t.Name+".md"] = []byte(t.Markdown())
	}
	for _, c := range Charts(rep.Summary) {
		files[c.Name+".svg"] = c.SVG()
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
