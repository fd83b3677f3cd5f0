package demo

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Chart geometry: two panels sharing the time axis, CTR above, the
// anomaly score below with the threshold of 2.
const (
	chartWidth  = 900
	chartLeft   = 60
	chartRight  = 20
	panelHeight = 180
	panelGap    = 50
	chartTop    = 40
)

// writeChart draws the windows as an SVG: the click-through rate and the
// anomaly score over application time (minutes from the start), burst
// windows shaded, flagged windows marked in red.
func writeChart(w io.Writer, windows []Window, start time.Time) error {
	b := bufio.NewWriter(w)
	height := chartTop + 2*panelHeight + panelGap + 50
	plotW := float64(chartWidth - chartLeft - chartRight)
	span := 1.0
	maxCTR, maxScore := 100.0, 3.0
	for _, win := range windows {
		span = math.Max(span, win.End.Sub(start).Minutes())
		maxCTR = math.Max(maxCTR, win.CTR)
		maxScore = math.Max(maxScore, win.Score)
	}
	maxCTR = math.Ceil(maxCTR/100) * 100
	maxScore = math.Ceil(maxScore)
	x := func(t time.Time) float64 { return chartLeft + t.Sub(start).Minutes()/span*plotW }
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", chartWidth, height, chartWidth, height)
	fmt.Fprintf(b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(b, `<text x="%d" y="20" font-size="15">Clickstream anomaly lab: click-through rate and RANDOM_CUT_FOREST score per 10-second window</text>`+"\n", chartLeft)
	panels := []struct {
		title string
		top   float64
		max   float64
		value func(Window) (float64, bool)
		line  float64 // a reference line (the threshold), or -1
	}{
		{"CTR (%)", chartTop, maxCTR, func(w Window) (float64, bool) { return w.CTR, w.CTR > 0 }, -1},
		{"anomaly score", chartTop + panelHeight + panelGap, maxScore, func(w Window) (float64, bool) { return w.Score, w.Scored }, 2},
	}
	for _, p := range panels {
		y := func(v float64) float64 { return p.top + panelHeight - v/p.max*panelHeight }
		// Burst windows, shaded.
		for _, win := range windows {
			if win.Burst {
				fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="#fde2c8"/>`+"\n", x(win.End.Add(-10*time.Second)), p.top, x(win.End)-x(win.End.Add(-10*time.Second)), panelHeight)
			}
		}
		// Axes, ticks and labels.
		fmt.Fprintf(b, `<text x="%d" y="%.1f">%s</text>`+"\n", chartLeft, p.top-6, p.title)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="black"/>`+"\n", chartLeft, p.top, chartLeft, p.top+panelHeight)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="black"/>`+"\n", chartLeft, p.top+panelHeight, chartWidth-chartRight, p.top+panelHeight)
		for i := 0; i <= 4; i++ {
			v := p.max * float64(i) / 4
			fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%g</text>`+"\n", chartLeft-6, y(v)+4, v)
		}
		for m := 0.0; m <= span; m++ {
			px := chartLeft + m/span*plotW
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%g</text>`+"\n", px, p.top+panelHeight+15, m)
		}
		if p.line >= 0 {
			fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#c00" stroke-dasharray="4 3"/>`+"\n", chartLeft, y(p.line), chartWidth-chartRight, y(p.line))
		}
		// The series, and the flagged windows in red.
		var pts []string
		for _, win := range windows {
			if v, ok := p.value(win); ok {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(win.End), y(v)))
			}
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="#1f5fa8" stroke-width="1.5" points="%s"/>`+"\n", strings.Join(pts, " "))
		for _, win := range windows {
			if v, ok := p.value(win); ok && win.Flagged {
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="4" fill="#c00"/>`+"\n", x(win.End), y(v))
			}
		}
	}
	fmt.Fprintf(b, `<text x="%d" y="%d">minutes of application time; shaded: burst windows; red: anomalies sent to DESTINATION_SQL_STREAM (score above 2)</text>`+"\n", chartLeft, height-12)
	fmt.Fprintln(b, `</svg>`)
	return b.Flush()
}
