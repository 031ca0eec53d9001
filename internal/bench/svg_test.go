package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
)

// svgDoc is what the tests look at in a chart: every element's name, the bars (rects with a
// tooltip) and every text.
type svgDoc struct {
	root  string
	bars  []string // tooltip of each bar
	texts []string
}

func parseSVG(t *testing.T, data []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, data)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if doc.root == "" {
				doc.root = tok.Name.Space + " " + tok.Name.Local
			}
			stack = append(stack, tok.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			switch s := strings.TrimSpace(string(tok)); {
			case s == "":
			case stack[len(stack)-1] == "title" && len(stack) >= 2 && stack[len(stack)-2] == "rect":
				doc.bars = append(doc.bars, s)
			case stack[len(stack)-1] == "text":
				doc.texts = append(doc.texts, s)
			}
		}
	}
	return doc
}

func TestBarChartSVG(t *testing.T) {
	nan := math.NaN()
	c := BarChart{
		Title:  "RSS <per> connection & more",
		YLabel: "KiB",
		Groups: []string{"100 connections", "1000 connections"},
		Series: []string{"ch00/net", "ch01/threaded", "ch02/poll"},
		Values: [][]float64{{7.7, 7.6}, {28, nan}, {nan, nan}},
		Notes:  [][]string{{"", ""}, {"", "died"}, {"", ""}},
	}
	doc := parseSVG(t, c.SVG())
	if doc.root != "http://www.w3.org/2000/svg svg" {
		t.Errorf("root element %q, want svg in the SVG namespace", doc.root)
	}
	want := []string{"ch00/net, 100 connections: 7.7", "ch01/threaded, 100 connections: 28", "ch00/net, 1000 connections: 7.6"}
	if strings.Join(doc.bars, "|") != strings.Join(want, "|") {
		t.Errorf("bars %q, want %q (a NaN is no bar)", doc.bars, want)
	}
	texts := strings.Join(doc.texts, "|")
	for _, w := range []string{"RSS <per> connection & more", "KiB", "100 connections", "1000 connections", "ch00/net", "ch01/threaded", "ch02/poll", "died"} {
		if !strings.Contains(texts, w) {
			t.Errorf("no text %q in %q", w, doc.texts)
		}
	}
	// The y axis starts at 0 and its top is a round number above the tallest bar.
	if !strings.Contains(texts, "|0|") || !strings.Contains(texts, "|30|") {
		t.Errorf("y axis ticks missing 0 or 30: %q", doc.texts)
	}
}

func TestNiceStep(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{{0, 1}, {0.013, 0.02}, {5.6, 10}, {1.5, 2}, {3, 5}, {20, 20}, {2001, 5000}} {
		if got := niceStep(tt.in); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("niceStep(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCharts(t *testing.T) {
	charts := Charts(sampleResults())
	var names []string
	for _, c := range charts {
		names = append(names, c.Name)
	}
	if got, want := strings.Join(names, ","), "idle-rss,pingpong-cpu,idlecpu,watchcost-cpu"; got != want {
		t.Fatalf("charts %s, want %s", got, want)
	}
	idle := charts[0]
	if got := strings.Join(idle.Groups, ","); got != "100 connections,1000 connections" {
		t.Errorf("idle groups %s, want sizes in ascending order", got)
	}
	if got := strings.Join(idle.Series, ","); got != "ch00/net,ch01/threaded" {
		t.Errorf("idle series %s", got)
	}
	if v, note := idle.Values[1][1], idle.Notes[1][1]; !math.IsNaN(v) || note != "died" {
		t.Errorf("the threaded server's death is charted as %v %q, want no bar and 'died'", v, note)
	}
	if got := idle.Values[0][0]; got != 7.7 {
		t.Errorf("net at 100 connections = %v, want 7.7", got)
	}
	for _, c := range charts {
		parseSVG(t, c.SVG())
	}
}

// No two texts or bars of a chart overlap, and all of them are inside it: checked on every
// chart the book's results render to, and on one crowded with servers, notes and long values.
func TestChartLabelsDoNotCollide(t *testing.T) {
	files, err := Rendered(bookReport(t))
	if err != nil {
		t.Fatal(err)
	}
	charts := Charts(bookReport(t).Summary)
	nan := math.NaN()
	crowded := BarChart{Title: "Crowded", YLabel: "requests per second", Groups: []string{"1 connection", "100 connections", "10000 connections"},
		Footnote: "tornado/*: Tornado 6.2 on Python 3.11.2, on asyncio: not Tornado 3.2, which this book mirrors"}
	for i := range 14 {
		crowded.Series = append(crowded.Series, fmt.Sprintf("ch0%d/server%d", i%7, i))
		crowded.Values = append(crowded.Values, []float64{123456 / float64(i+1), float64(i), nan})
		crowded.Notes = append(crowded.Notes, []string{"", "", "died"})
	}
	charts = append(charts, Chart{Name: "crowded", BarChart: crowded}, Chart{Name: "crowded-log", BarChart: func() BarChart { c := crowded; c.Log = true; return c }()})
	for _, c := range charts {
		_, boxes := c.render()
		for i, a := range boxes {
			if a.x0 < 0 || a.y0 < 0 || a.x1 > chartW || a.y1 > chartH {
				t.Errorf("%s: %s at (%.0f,%.0f)-(%.0f,%.0f) is outside the %dx%d chart", c.Name, a.what, a.x0, a.y0, a.x1, a.y1, chartW, chartH)
			}
			for _, b := range boxes[i+1:] {
				if a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 {
					t.Errorf("%s: %q overlaps %q", c.Name, a.what, b.what)
				}
			}
		}
	}
	if len(files) == 0 {
		t.Fatal("nothing rendered")
	}
}

// Every server of the plan has a colour of its own in serverColours, and no two servers that
// share a chart share a colour.
func TestServerColours(t *testing.T) {
	for _, row := range DefaultPlan {
		family, _, _ := strings.Cut(row.Server, "/")
		if serverColours[row.Server] == "" && serverColours[family+"/"] == "" {
			t.Errorf("%s has no colour of its own in serverColours", row.Server)
		}
	}
	charts := Charts(bookReport(t).Summary)
	for _, c := range charts {
		seen := map[string]string{}
		for _, s := range c.Series {
			if other, ok := seen[ServerColour(s)]; ok {
				t.Errorf("%s: %s and %s are both %s", c.Name, other, s, ServerColour(s))
			}
			seen[ServerColour(s)] = s
		}
	}
	if ServerColour("ch04/echo") != ServerColour("ch04/http") || ServerColour("ch03/epoll") == ServerColour("ch03/poll") {
		t.Error("a chapter's echo and HTTP servers should share a colour, its two echo servers not")
	}
	if got := ServerColour("zz/unknown"); !slices.Contains(otherColours, got) {
		t.Errorf("an unknown server's colour %s is not one of otherColours", got)
	}
	// The colour is keyed by the server, not by its place in the chart.
	a := BarChart{Series: []string{"ch00/net", "ch03/epoll"}, Groups: []string{"1"}, Values: [][]float64{{1}, {2}}}
	b := BarChart{Series: []string{"ch03/epoll"}, Groups: []string{"1"}, Values: [][]float64{{2}}}
	if want := `fill="` + ServerColour("ch03/epoll") + `"`; !strings.Contains(string(a.SVG()), want) || !strings.Contains(string(b.SVG()), want) {
		t.Errorf("ch03/epoll is not %s in both charts", want)
	}
}

// The cost-of-watching chart is on a log axis, with a tick at each power of ten from below
// its smallest value to above its largest; the others are linear from 0.
func TestLogAxis(t *testing.T) {
	for _, c := range Charts(bookReport(t).Summary) {
		if c.Log != (c.Name == "watchcost-cpu") {
			t.Errorf("%s: log axis %v", c.Name, c.Log)
		}
	}
	c := BarChart{Log: true, Groups: []string{"0 idle", "10000 idle"}, Series: []string{"ch03/epoll", "ch02/poll"},
		Values: [][]float64{{36.8, 30.8}, {46.8, 8396.6}}}
	axis := c.axis()
	if want := []float64{10, 100, 1000, 10000}; !slices.Equal(axis.ticks, want) {
		t.Errorf("log ticks %v, want %v", axis.ticks, want)
	}
	if h := axis.height(1000); math.Abs(h-2.0/3) > 1e-9 {
		t.Errorf("height(1000) = %v, want 2/3 of the axis", h)
	}
	texts := strings.Join(parseSVG(t, c.SVG()).texts, "|")
	if !strings.Contains(texts, "(log scale)") || !strings.Contains(texts, "|10k|") {
		t.Errorf("the log chart's texts %q lack the scale's name or its 10k tick", texts)
	}
}
