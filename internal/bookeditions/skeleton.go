// The skeleton of a page: what both editions of it must share, in order.

package bookeditions

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// A Part is one shared element of a page: a heading's level, an embedmd excerpt, a bench
// table block, an image, or a fenced code block. Paths are resolved against the page's own
// directory, so that book/04-tcpserver.md's "../ch04_tcpserver/x.go" and book/zh/04-tcpserver.md's
// "../../ch04_tcpserver/x.go" are the same part.
type Part struct {
	Kind string // "heading", "embedmd", "bench table", "image", "code"
	Text string // for a heading, its level ("##"); otherwise what identifies it
	Line int    // 1-based, in the page
}

func (p Part) String() string { return fmt.Sprintf("line %d: %s %s", p.Line, p.Kind, p.Text) }

var (
	headingLine = regexp.MustCompile(`^(#{1,6}) `)
	embedmdLine = regexp.MustCompile(`^\[embedmd\]:# \((\S+)(.*)\)$`)
	benchLine   = regexp.MustCompile(`^<!-- bench table: (\S+) -->$`)
	imageRef    = regexp.MustCompile(`!\[[^\]]*\]\(([^)\s]+)\)`)
)

// Skeleton returns the parts of the page at dir (its directory, slash-separated, relative to
// the repository) whose text is page. Code blocks that embedmd fills are part of their excerpt,
// not counted again; other fenced blocks count by their language tag, since a translated
// edition may translate a comment inside a shell example but not drop or add one.
func Skeleton(dir, page string) []Part {
	var parts []Part
	lines := strings.Split(page, "\n")
	fenced, afterEmbed := false, false
	for i, line := range lines {
		n := i + 1
		if strings.HasPrefix(line, "```") {
			if !fenced && !afterEmbed {
				parts = append(parts, Part{Kind: "code", Text: strings.TrimPrefix(line, "```"), Line: n})
			}
			if fenced {
				afterEmbed = false
			}
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		if strings.TrimSpace(line) != "" {
			afterEmbed = false
		}
		if m := headingLine.FindStringSubmatch(line); m != nil {
			parts = append(parts, Part{Kind: "heading", Text: m[1], Line: n})
		}
		if m := embedmdLine.FindStringSubmatch(line); m != nil {
			parts = append(parts, Part{Kind: "embedmd", Text: path.Join(dir, m[1]) + m[2], Line: n})
			afterEmbed = true
		}
		if m := benchLine.FindStringSubmatch(line); m != nil {
			parts = append(parts, Part{Kind: "bench table", Text: path.Join(dir, m[1]), Line: n})
		}
		for _, m := range imageRef.FindAllStringSubmatch(line, -1) {
			parts = append(parts, Part{Kind: "image", Text: path.Join(dir, m[1]), Line: n})
		}
	}
	return parts
}

// Compare says where two skeletons part: nil when they match.
func Compare(english, chinese []Part) error {
	for i := 0; i < len(english) || i < len(chinese); i++ {
		switch {
		case i >= len(chinese):
			return fmt.Errorf("the Chinese edition ends where the English has %v", english[i])
		case i >= len(english):
			return fmt.Errorf("the Chinese edition has %v, past the English edition's end", chinese[i])
		case english[i].Kind != chinese[i].Kind || english[i].Text != chinese[i].Text:
			return fmt.Errorf("the English edition has %v where the Chinese has %v", english[i], chinese[i])
		}
	}
	return nil
}
