// Finding the links of a Markdown file, and the anchors GitHub gives its headings.

package booklinks

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// A Link is one relative link found in a Markdown file.
type Link struct {
	File   string // the Markdown file it is in
	Line   int    // 1-based
	Target string // as written, e.g. ../ch01_blocking/socket.go#L10 or 03-epoll.md#the-waker
}

var (
	inlineLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	refLink    = regexp.MustCompile(`^\s*\[[^\]]+\]:\s*(\S+)`)
	codeSpan   = regexp.MustCompile("`[^`]*`")
	// explicitAnchor is an anchor a page sets itself: <a id="the-waker"></a>.
	explicitAnchor = regexp.MustCompile(`<a id="([^"]+)"></a>`)
)

// Links returns the relative links of a Markdown text: not those in code fences or code spans,
// not embedmd's markers (embedmd checks those), not URLs with a scheme.
func Links(file, text string) []Link {
	var links []Link
	fenced := false
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced || strings.HasPrefix(line, "[embedmd]:") {
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		var targets []string
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
		}
		if m := refLink.FindStringSubmatch(line); m != nil {
			targets = append(targets, m[1])
		}
		for _, t := range targets {
			if strings.Contains(t, "://") || strings.HasPrefix(t, "mailto:") {
				continue
			}
			links = append(links, Link{File: file, Line: i + 1, Target: t})
		}
	}
	return links
}

// Anchors returns the anchors GitHub makes for a Markdown text's headings: lower case, spaces
// to hyphens, punctuation dropped (letters of any script kept), and -1, -2 on repeats; and the
// anchors a page sets itself with <a id="..."></a>, as the Chinese edition does before a
// translated heading so that links keep the English edition's anchors.
func Anchors(text string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		for _, m := range explicitAnchor.FindAllStringSubmatch(line, -1) {
			anchors[m[1]] = true
		}
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		slug := Slug(title)
		if n := seen[slug]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	}
	return anchors
}

// Slug is GitHub's anchor for one heading.
func Slug(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Check reports every link of the Markdown file at path (relative to root) that does not
// resolve: a missing file or directory, or an anchor no heading of the target makes. Line
// anchors (#L10, #L10-L20) on non-Markdown files are checked against the file's length.
func Check(root, path string) ([]string, error) {
	text, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, l := range Links(path, string(text)) {
		target, anchor, _ := strings.Cut(l.Target, "#")
		dest := path
		if target != "" {
			dest = filepath.Join(filepath.Dir(path), filepath.FromSlash(target))
		}
		bad := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf("%s:%d: %s: %s", l.File, l.Line, l.Target, fmt.Sprintf(format, args...)))
		}
		rel, err := filepath.Rel(root, filepath.Join(root, dest))
		if err != nil || strings.HasPrefix(rel, "..") {
			bad("points outside the repository")
			continue
		}
		info, err := os.Stat(filepath.Join(root, dest))
		if err != nil {
			bad("no such file or directory")
			continue
		}
		if anchor == "" || info.IsDir() {
			continue
		}
		body, err := os.ReadFile(filepath.Join(root, dest))
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(dest, ".md") {
			if !Anchors(string(body))[anchor] {
				bad("no heading makes the anchor #%s", anchor)
			}
			continue
		}
		if err := checkLineAnchor(anchor, strings.Count(string(body), "\n")+1); err != nil {
			bad("%v", err)
		}
	}
	return problems, nil
}

var lineAnchor = regexp.MustCompile(`^L(\d+)(?:-L(\d+))?$`)

// checkLineAnchor checks an anchor such as L10 or L10-L20 against a file of n lines.
func checkLineAnchor(anchor string, n int) error {
	m := lineAnchor.FindStringSubmatch(anchor)
	if m == nil {
		return fmt.Errorf("anchor #%s on a source file is not a line anchor (#L10 or #L10-L20)", anchor)
	}
	for _, s := range m[1:] {
		if s == "" {
			continue
		}
		line, err := strconv.Atoi(s)
		if err != nil || line < 1 || line > n {
			return fmt.Errorf("line %d is past the end of the file (%d lines)", line, n)
		}
	}
	return nil
}
