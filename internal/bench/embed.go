// Chapters embed their result tables as Markdown, not in code fences (which is all embedmd
// writes), between two comments that name the file:
//
//	<!-- bench table: results/ch01-idle.md -->
//
//	...the file's text...
//
//	<!-- end bench table -->
//
// SyncChapters copies each file in; a test fails while a chapter's copy differs.

package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

const (
	embedStart = "<!-- bench table: "
	embedEnd   = "<!-- end bench table -->"
)

// ErrEmbed is a chapter whose bench table comments do not pair up.
var ErrEmbed = errors.New("bench table block")

var embedStartLine = regexp.MustCompile(`^<!-- bench table: (\S+) -->$`)

// Embedded is one block of a chapter: the file it names (relative to the chapter) and the
// lines between the comments.
type Embedded struct {
	Path string
	Text string
	Line int // of the opening comment, 1-based
}

// embedBlocks splits a chapter into the text outside its blocks and the blocks, so that
// replacing each block's text and joining them again rewrites the chapter.
func embedBlocks(name, chapter string) (outside []string, blocks []Embedded, err error) {
	lines := strings.SplitAfter(chapter, "\n")
	var cur strings.Builder
	in := false
	var block Embedded
	for i, l := range lines {
		trimmed := strings.TrimRight(l, "\n")
		switch {
		case !in && strings.HasPrefix(trimmed, embedStart):
			m := embedStartLine.FindStringSubmatch(trimmed)
			if m == nil {
				return nil, nil, fmt.Errorf("%s:%d: %w: want %q", name, i+1, ErrEmbed, embedStart+"PATH -->")
			}
			cur.WriteString(l)
			outside = append(outside, cur.String())
			cur.Reset()
			in, block = true, Embedded{Path: m[1], Line: i + 1}
		case in && trimmed == embedEnd:
			block.Text = cur.String()
			blocks = append(blocks, block)
			cur.Reset()
			cur.WriteString(l)
			in = false
		case in && strings.HasPrefix(trimmed, embedStart):
			return nil, nil, fmt.Errorf("%s:%d: %w opened inside the one at line %d", name, i+1, ErrEmbed, block.Line)
		default:
			cur.WriteString(l)
		}
	}
	if in {
		return nil, nil, fmt.Errorf("%s:%d: %w never closed with %q", name, block.Line, ErrEmbed, embedEnd)
	}
	return append(outside, cur.String()), blocks, nil
}

// EmbeddedTables lists a chapter file's blocks.
func EmbeddedTables(chapter string) ([]Embedded, error) {
	data, err := os.ReadFile(chapter)
	if err != nil {
		return nil, err
	}
	_, blocks, err := embedBlocks(chapter, string(data))
	return blocks, err
}

// BlockText is what a block holds for a file: its text set apart by blank lines, so that
// Markdown sees the comments and the table as blocks of their own.
func BlockText(file []byte) string { return "\n" + string(file) + "\n" }

// BookPages are the pages that may embed bench tables: the *.md files directly in bookDir and
// those of its Chinese edition, bookDir/zh, whose blocks name the same files as ../results/....
func BookPages(bookDir string) ([]string, error) {
	var pages []string
	for _, dir := range []string{bookDir, filepath.Join(bookDir, "zh")} {
		found, err := filepath.Glob(filepath.Join(dir, "*.md"))
		if err != nil {
			return nil, err
		}
		pages = append(pages, found...)
	}
	return pages, nil
}

// SyncChapters rewrites the blocks of every page BookPages finds in bookDir with the current text
// of the files they name, and returns the chapters it changed.
func SyncChapters(bookDir string) ([]string, error) {
	chapters, err := BookPages(bookDir)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, ch := range chapters {
		data, err := os.ReadFile(ch)
		if err != nil {
			return nil, err
		}
		outside, blocks, err := embedBlocks(ch, string(data))
		if err != nil {
			return nil, err
		}
		if len(blocks) == 0 {
			continue
		}
		var b strings.Builder
		for i, text := range outside {
			b.WriteString(text)
			if i == len(blocks) {
				break
			}
			table, err := os.ReadFile(filepath.Join(filepath.Dir(ch), filepath.FromSlash(blocks[i].Path)))
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", ch, blocks[i].Line, err)
			}
			b.WriteString(BlockText(table))
		}
		if b.String() == string(data) {
			continue
		}
		if err := os.WriteFile(ch, []byte(b.String()), 0o644); err != nil {
			return nil, err
		}
		changed = append(changed, ch)
	}
	return changed, nil
}
