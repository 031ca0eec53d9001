// Grouped bar charts as SVG, written with the standard library only.

package bench

import (
	"bytes"
	"fmt"
	"html"
	"math"
)

// BarChart is a grouped bar chart: along the x axis one group per Groups entry (a connection
// count), in each group one bar per Series entry (a server), coloured by series.
type BarChart struct {
	Title  string
	YLabel string
	Groups []string
	Series []string
	// Values[s][g] is series s in group g; NaN leaves the bar out and prints Notes[s][g] there.
	Values [][]float64
	Notes  [][]string
}

// palette is colour-blind-safe (Okabe and Ito), one colour per series.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

// Chart geometry, in SVG user units.
const (
	chartW, chartH            = 760, 400
	marginL, marginR          = 70, 20
	marginT, marginB, legendH = 40, 40, 22
)

// SVG renders the chart.
func (c BarChart) SVG() []byte {
	var b bytes.Buffer
	esc := html.EscapeString
	top := marginT + legendH*((len(c.Series)+3)/4)
	plotW, plotH := float64(chartW-marginL-marginR), float64(chartH-top-marginB)
	bottom := float64(chartH - marginB)

	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="15" font-weight="bold">%s</text>`+"\n", marginL, esc(c.Title))

	// Legend, four series to a line.
	for s, name := range c.Series {
		x, y := marginL+(s%4)*170, marginT+legendH*(s/4)-12
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", x, y, colour(s), x+17, y+11, esc(name))
	}

	// Y axis: a round step, gridlines, and the label turned on its side.
	step := niceStep(maxValue(c.Values) / 5)
	ticks := max(1, int(math.Ceil(maxValue(c.Values)/step)))
	ymax := step * float64(ticks)
	for i := range ticks + 1 {
		v := step * float64(i)
		y := bottom - v/ymax*plotH
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", marginL, y, chartW-marginR, y, marginL-6, y+4, formatTick(v))
	}
	fmt.Fprintf(&b, `<text transform="translate(16 %.0f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", float64(top)+plotH/2, esc(c.YLabel))
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="black"/>`+"\n", marginL, bottom, chartW-marginR, bottom)

	// Bars, each with its value (or its note) above it.
	groupW := plotW / float64(max(len(c.Groups), 1))
	barW := groupW * 0.8 / float64(max(len(c.Series), 1))
	for g, group := range c.Groups {
		x0 := float64(marginL) + float64(g)*groupW + groupW*0.1
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x0+groupW*0.4, bottom+18, esc(group))
		for s := range c.Series {
			x := x0 + float64(s)*barW
			v := c.Values[s][g]
			if math.IsNaN(v) {
				if note := c.note(s, g); note != "" {
					fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`+"\n", x+barW/2, bottom-4, colour(s), esc(note))
				}
				continue
			}
			h := v / ymax * plotH
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`+"\n", x, bottom-h, barW*0.9, h, colour(s), esc(c.Series[s]), esc(group), formatValue(v))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%s</text>`+"\n", x+barW*0.45, bottom-h-3, formatValue(v))
		}
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func (c BarChart) note(s, g int) string {
	if s < len(c.Notes) && g < len(c.Notes[s]) {
		return c.Notes[s][g]
	}
	return ""
}

func colour(s int) string { return palette[s%len(palette)] }

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

func formatTick(v float64) string {
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
