// Grouped bar charts as SVG, written with the standard library only.

package bench

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strings"
	"unicode/utf8"
)

// BarChart is a grouped bar chart: along the x axis one group per Groups entry (a connection
// count), in each group one bar per Series entry (a server) that has a value or a note there,
// coloured by server (ServerColour), so a server has the same colour in every chart.
type BarChart struct {
	Title  string
	YLabel string
	Groups []string
	Series []string
	// Values[s][g] is series s in group g; NaN leaves the bar out and prints Notes[s][g] there.
	Values [][]float64
	Notes  [][]string
	// Footnote is a line under the chart: what ran the rows that are not the book's.
	Footnote string
	// Log puts the y axis on a log scale: for a chart whose point is a slope over orders of
	// magnitude (the cost of watching idle sockets), where a linear axis flattens all but one.
	Log bool
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH            = 760, 400
	marginL, marginR          = 70, 20
	marginT, marginB, legendH = 40, 40, 22
	legendPerLine, legendW    = 4, 170
	valueFont                 = 10 // value labels, written upwards above their bars
	labelRoom                 = 40 // above the tallest bar, for its value label
	maxBarW                   = 48
)

// box is a rectangle the chart draws (a text's extent, estimated, or a bar): the test checks
// that no two overlap.
type box struct {
	what           string
	x0, y0, x1, y1 float64
}

// textWidth estimates a text's width: sans-serif digits and lower case run about 0.62 em.
func textWidth(s string, font float64) float64 {
	return 0.62 * font * float64(utf8.RuneCountInString(s))
}

// SVG renders the chart.
func (c BarChart) SVG() []byte {
	svg, _ := c.render()
	return svg
}

// render draws the chart and says where each text and bar went.
func (c BarChart) render() ([]byte, []box) {
	var b bytes.Buffer
	var boxes []box
	esc := html.EscapeString
	text := func(what string, x, y, font float64, anchor, attrs, s string) {
		w := textWidth(s, font)
		x0 := x
		switch anchor {
		case "middle":
			x0 = x - w/2
		case "end":
			x0 = x - w
		}
		boxes = append(boxes, box{what + " " + s, x0, y - font*0.8, x0 + w, y + font*0.2})
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="%s"%s>%s</text>`+"\n", x, y, anchor, attrs, esc(s))
	}
	// upward writes s from (x, y) upwards, centred on x: a label above a bar.
	upward := func(what string, x, y, font float64, fill, s string) {
		w := textWidth(s, font)
		boxes = append(boxes, box{what + " " + s, x - font/2, y - w, x + font/2, y})
		fmt.Fprintf(&b, `<text transform="translate(%.1f %.1f) rotate(-90)" font-size="%g" fill="%s">%s</text>`+"\n", x+font*0.35, y, font, fill, esc(s))
	}

	legendLines := (len(c.Series) + legendPerLine - 1) / legendPerLine
	top := float64(marginT + legendH*legendLines)
	bottom := float64(chartH - marginB)
	plotW := float64(chartW - marginL - marginR)
	scaleH := bottom - top - labelRoom // the height of the axis's top tick

	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	text("title", marginL, 20, 15, "start", ` font-size="15" font-weight="bold"`, c.Title)

	for s, name := range c.Series {
		x, y := float64(marginL+(s%legendPerLine)*legendW), float64(marginT+legendH*(s/legendPerLine)-12)
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="12" height="12" fill="%s"/>`+"\n", x, y, ServerColour(name))
		boxes = append(boxes, box{"legend key " + name, x, y, x + 12, y + 12})
		text("legend", x+17, y+11, 12, "start", "", name)
	}

	// The y axis: ticks, gridlines, and the label turned on its side.
	axis := c.axis()
	for _, v := range axis.ticks {
		y := bottom - axis.height(v)*scaleH
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", marginL, y, chartW-marginR, y)
		text("tick", marginL-6, y+4, 12, "end", "", formatTick(v))
	}
	ylabel := c.YLabel
	if c.Log {
		ylabel += " (log scale)"
	}
	mid := top + (bottom-top)/2
	boxes = append(boxes, box{"y label", 10, mid - textWidth(ylabel, 12)/2, 22, mid + textWidth(ylabel, 12)/2})
	fmt.Fprintf(&b, `<text transform="translate(20 %.0f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", mid, esc(ylabel))
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="black"/>`+"\n", marginL, bottom, chartW-marginR, bottom)

	// The bars: in each group, one slot per series with a value or a note there, so no group
	// has gaps for the servers that did not run at its size.
	groupW := plotW / float64(max(len(c.Groups), 1))
	for g, group := range c.Groups {
		var slots []int
		for s := range c.Series {
			if !math.IsNaN(c.value(s, g)) || c.note(s, g) != "" {
				slots = append(slots, s)
			}
		}
		barW := min(groupW*0.85/float64(max(len(slots), 1)), maxBarW)
		x0 := float64(marginL) + float64(g)*groupW + (groupW-barW*float64(len(slots)))/2
		text("group", float64(marginL)+float64(g)*groupW+groupW/2, bottom+18, 12, "middle", "", group)
		font := min(valueFont, math.Floor(barW*0.9-1))
		for i, s := range slots {
			x := x0 + float64(i)*barW
			v := c.value(s, g)
			if math.IsNaN(v) {
				if font >= 6 {
					upward("note", x+barW*0.45, bottom-4, font, ServerColour(c.Series[s]), c.note(s, g))
				}
				continue
			}
			h := axis.height(v) * scaleH
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`+"\n", x, bottom-h, barW*0.9, h, ServerColour(c.Series[s]), esc(c.Series[s]), esc(group), formatValue(v))
			boxes = append(boxes, box{"bar " + c.Series[s] + " " + group, x, bottom - h, x + barW*0.9, bottom})
			if font >= 6 {
				// A bar too low to see (an idle server's 0 CPU) has its label in its colour, so
				// the label says whose it is.
				fill := "#222"
				if h < 2 {
					fill = ServerColour(c.Series[s])
				}
				upward("value", x+barW*0.45, bottom-h-3, font, fill, formatValue(v))
			}
		}
	}
	if c.Footnote != "" {
		text("footnote", marginL, chartH-5, 11, "start", ` font-size="11" fill="#444"`, c.Footnote)
	}
	b.WriteString("</svg>\n")
	return b.Bytes(), boxes
}

// yAxis maps a value to a height between 0 (the x axis) and 1 (the top tick).
type yAxis struct {
	ticks  []float64
	log    bool
	lo, hi float64 // log: the exponents of the lowest and the highest tick
	ymax   float64 // linear: the top tick
}

func (a yAxis) height(v float64) float64 {
	if a.log {
		if v <= 0 {
			return 0
		}
		return max(0, (math.Log10(v)-a.lo)/(a.hi-a.lo))
	}
	return v / a.ymax
}

// axis chooses the ticks: 0 and round steps up past the tallest bar, or, on a log scale, the
// powers of ten around the values.
func (c BarChart) axis() yAxis {
	top := maxValue(c.Values)
	if c.Log {
		low := minPositive(c.Values)
		if low == 0 {
			low = 1
		}
		a := yAxis{log: true, lo: math.Floor(math.Log10(low)), hi: math.Ceil(math.Log10(max(top, low)))}
		if a.hi <= a.lo {
			a.hi = a.lo + 1
		}
		for e := a.lo; e <= a.hi; e++ {
			a.ticks = append(a.ticks, math.Pow(10, e))
		}
		return a
	}
	step := niceStep(top / 5)
	n := max(1, int(math.Ceil(top/step)))
	a := yAxis{ymax: step * float64(n)}
	for i := range n + 1 {
		a.ticks = append(a.ticks, step*float64(i))
	}
	return a
}

func (c BarChart) value(s, g int) float64 {
	if s < len(c.Values) && g < len(c.Values[s]) {
		return c.Values[s][g]
	}
	return math.NaN()
}

func (c BarChart) note(s, g int) string {
	if s < len(c.Notes) && g < len(c.Notes[s]) {
		return c.Notes[s][g]
	}
	return ""
}

// serverColours gives every server of the plan its colour, the same in every chart: a
// chapter's echo and HTTP servers share one (no chart shows both), the baselines are greys and
// browns, and the real Tornado is magenta. Okabe and Ito's colour-blind-safe eight come
// first; the rest are Paul Tol's.
var serverColours = map[string]string{
	"ch00/":          "#000000",
	"ch00/tls":       "#5E4B3C", // chapter 6's baselines, crypto/tls on net: a dark brown
	"ch00/https":     "#5E4B3C",
	"ch01/iterative": "#E69F00",
	"ch01/threaded":  "#D55E00",
	"ch01/forked":    "#CC6677",
	"ch02/busypoll":  "#F0E442",
	"ch02/select":    "#882255",
	"ch02/poll":      "#AA4499",
	"ch03/epoll":     "#0072B2",
	"ch03/poll":      "#56B4E9",
	"ch04/":          "#009E73",
	"ch05/":          "#332288",
	// Chapter 5's labelled rows (scaling, spread): one colour per form and process count.
	"ch05/bind-start -procs 1": "#6699CC",
	"ch05/bind-start -procs 2": "#332288",
	"ch05/bind-start -procs 4": "#4B0092",
	"ch05/reuseport -procs 2":  "#997700",
	"ch05/reuseport -procs 4":  "#EECC66",
	"ch06/":                    "#44AA99",
	CEpoll:                     "#999999",
	GnetEcho:                   "#8C6D31",
	NginxHTTP:                  "#666666",
	NginxHTTPS:                 "#666666",
	"tornado/":                 "#EE3377",
}

// otherColours are for servers serverColours does not name, chosen by a hash of the id.
var otherColours = []string{"#CC79A7", "#117733", "#999933", "#DDCC77", "#88CCEE", "#661100"}

// ServerColour is id's colour: its own entry, else its chapter's or family's ("ch04/"), else
// one of otherColours.
func ServerColour(id string) string {
	if c, ok := serverColours[id]; ok {
		return c
	}
	if family, _, ok := strings.Cut(id, "/"); ok {
		if c, ok := serverColours[family+"/"]; ok {
			return c
		}
	}
	h := 0
	for _, r := range id {
		h = h*31 + int(r)
	}
	return otherColours[(h%len(otherColours)+len(otherColours))%len(otherColours)]
}

func maxValue(values [][]float64) float64 {
	m := 0.0
	for _, row := range values {
		for _, v := range row {
			if !math.IsNaN(v) {
				m = max(m, v)
			}
		}
	}
	return m
}

// minPositive is the smallest value above zero, or 0 if there is none.
func minPositive(values [][]float64) float64 {
	m := 0.0
	for _, row := range values {
		for _, v := range row {
			if v > 0 && (m == 0 || v < m) {
				m = v
			}
		}
	}
	return m
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten, so the axis reads 0, 5, 10, ...
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if x <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// formatTick writes a tick short enough for the margin: 150k, not 150000.
func formatTick(v float64) string {
	if v >= 10000 && math.Mod(v, 1000) == 0 {
		return fmt.Sprintf("%.0fk", v/1000)
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func formatValue(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}
