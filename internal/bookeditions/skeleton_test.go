package bookeditions

import (
	"strings"
	"testing"
)

const englishPage = "# One\n\nText.\n\n## Two\n\n[embedmd]:# (../ch04_tcpserver/x.go /^func A/ /^}/)\n```go\nfunc A() {}\n```\n\n" +
	"![chart](results/a.svg)\n\n<!-- bench table: results/a.md -->\n| a |\n| - |\n<!-- end bench table -->\n\n```sh\ngo test ./...\n```\n"

const chinesePage = "# 一\n\n文字。\n\n## 二\n\n[embedmd]:# (../../ch04_tcpserver/x.go /^func A/ /^}/)\n```go\nfunc A() {}\n```\n\n" +
	"![图](../results/a.svg)\n\n<!-- bench table: ../results/a.md -->\n| a |\n| - |\n<!-- end bench table -->\n\n```sh\ngo test ./...  # 全部测试\n```\n"

func TestSkeletonMatchesATranslation(t *testing.T) {
	en, zh := Skeleton("book", englishPage), Skeleton("book/zh", chinesePage)
	if len(en) != 6 {
		t.Fatalf("English skeleton has %d parts, want 6 (2 headings, an excerpt, an image, a table, a code block): %v", len(en), en)
	}
	if err := Compare(en, zh); err != nil {
		t.Fatal(err)
	}
}

func TestSkeletonFindsWhatATranslationDropped(t *testing.T) {
	en := Skeleton("book", englishPage)
	for name, broken := range map[string]string{
		"a section":    strings.Replace(chinesePage, "## 二\n", "二\n", 1),
		"an excerpt":   strings.Replace(chinesePage, "/^func A/", "/^func B/", 1),
		"a table":      strings.Replace(chinesePage, "../results/a.md", "../results/b.md", 1),
		"a figure":     strings.Replace(chinesePage, "![图](../results/a.svg)", "", 1),
		"a code block": strings.Replace(chinesePage, "```sh\ngo test ./...  # 全部测试\n```\n", "", 1),
		"a level":      strings.Replace(chinesePage, "## 二", "### 二", 1),
	} {
		if err := Compare(en, Skeleton("book/zh", broken)); err == nil {
			t.Errorf("a translation that lost %s passed", name)
		}
	}
}
