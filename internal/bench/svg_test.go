package bench

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
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
