package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/streamlog"
)

// TestChartsPeopleCanRead: a stream with ANOMALY_SCORE is drawn a panel
// per numeric column with application-time labels and min/max ticks, the
// threshold of the SQL's WHERE (3, not the default 2) as a line, the rows
// above it marked, and its line broken at a long gap in time; a stream of
// text only has no chart box. Unticking a column takes its panel away.
func TestChartsPeopleCanRead(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1)
	if err := c.srv.Log.Create(ctx, "in", "kinesis", 1); err != nil {
		t.Fatal(err)
	}
	schema := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: []record.RecordColumn{
		{Name: "V", SqlType: "DOUBLE", Mapping: "$.v"}, {Name: "S", SqlType: "DOUBLE", Mapping: "$.s"}, {Name: "NAME", SqlType: "VARCHAR(16)", Mapping: "$.name"}}}
	if _, err := c.srv.Apps.Create(ctx, app.Application{Name: "rcf", Code: `CREATE STREAM "SCORED" (V DOUBLE, ANOMALY_SCORE DOUBLE);
CREATE STREAM "ALERTS" (V DOUBLE, ANOMALY_SCORE DOUBLE);
CREATE STREAM "NAMES" (NAME VARCHAR(16));
CREATE PUMP "P1" AS INSERT INTO "SCORED" SELECT STREAM "V", "S" FROM "SOURCE_SQL_STREAM_001";
CREATE PUMP "P2" AS INSERT INTO "ALERTS" SELECT STREAM "V", ANOMALY_SCORE FROM "SCORED" WHERE ANOMALY_SCORE > 3;
CREATE PUMP "P3" AS INSERT INTO "NAMES" SELECT STREAM "NAME" FROM "SOURCE_SQL_STREAM_001";`,
		Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "in", Kind: "kinesis", Schema: schema}}}); err != nil {
		t.Fatal(err)
	}
	// Rows a second apart, then a minute of nothing, then two more: scores
	// 5 and 4 are above the SQL's 3; 2.5 would be above the default 2.
	base := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
	at := []int{0, 1, 2, 3, 4, 5, 65, 66}
	scores := []float64{1, 2.5, 5, 1, 4, 1, 1, 1}
	var recs []streamlog.Record
	for i, s := range at {
		recs = append(recs, streamlog.Record{Data: []byte(fmt.Sprintf(`{"v": %d, "s": %g, "name": "n%d"}`, 10+i, scores[i], i)), Arrival: base.Add(time.Duration(s) * time.Second)})
	}
	if _, err := c.srv.Log.Append(ctx, "in", 0, recs); err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Apps.Start(ctx, "rcf", app.TrimHorizon); err != nil {
		t.Fatal(err)
	}
	c.do("SCORED's chart",
		chromedp.Navigate(c.srv.URL+"/#/app/rcf"),
		chromedp.WaitVisible(`//button[@role="tab" and text()="SCORED"]`),
		chromedp.Click(`//button[@role="tab" and text()="SCORED"]`),
		chromedp.WaitVisible(`//table[@data-stream="SCORED"]//td[text()="17"]`),
		chromedp.WaitVisible(chromedp.CSS(`#live-chart figure[data-column="ANOMALY_SCORE"] svg`)))
	panels := c.eval(`[...document.querySelectorAll("#live-chart figure")].map((f) => f.dataset.column)`)
	if strings.Join(panels, ",") != "V,ANOMALY_SCORE" {
		t.Errorf("panels %q, want V and ANOMALY_SCORE", panels)
	}
	clock := func(t time.Time) string { return t.UTC().Format("15:04:05") }
	if got, want := c.eval(`[...document.querySelectorAll('#live-chart figure[data-column="V"] .tick.time')].map((e) => e.textContent)`),
		[]string{clock(base), clock(base.Add(33 * time.Second)), clock(base.Add(66 * time.Second))}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("V's time labels %q, want %q (the rows' ROWTIME)", got, want)
	}
	if got := c.eval(`['min', 'max'].map((k) => document.querySelector('#live-chart figure[data-column="V"] .tick.' + k).textContent)`); strings.Join(got, " ") != "10 17" {
		t.Errorf("V's y axis reads %q, want 10 to 17", got)
	}
	if got := c.eval(`[...document.querySelectorAll('#live-chart figure[data-column="ANOMALY_SCORE"] .threshold text')].map((e) => e.textContent)`); strings.Join(got, "") != "threshold 3" {
		t.Errorf("ANOMALY_SCORE's threshold line says %q, want threshold 3 (the SQL's WHERE)", got)
	}
	// The threshold line lies between the ticks 1 and 5 at 3's height.
	if y := evalJS[[]any](c, `(() => { const f = document.querySelector('#live-chart figure[data-column="ANOMALY_SCORE"]'); const l = f.querySelector(".threshold line"); return [+l.getAttribute("y1"), +f.querySelector(".tick.max").getAttribute("y") - 4, +f.querySelector(".tick.min").getAttribute("y")]; })()`); !(y[0].(float64) > y[1].(float64) && y[0].(float64) < y[2].(float64)) {
		t.Errorf("the threshold line at y %v is not between max at %v and min at %v", y[0], y[1], y[2])
	}
	if got := c.eval(`[...document.querySelectorAll('#live-chart figure[data-column="ANOMALY_SCORE"] circle.anomaly title')].map((e) => e.textContent)`); len(got) != 2 || !strings.Contains(got[0], "score 5") || !strings.Contains(got[1], "score 4") {
		t.Errorf("anomalies marked %q, want the rows of scores 5 and 4", got)
	}
	if n := len(c.eval(`[...document.querySelectorAll('#live-chart figure[data-column="V"] circle.anomaly')].map(String)`)); n != 2 {
		t.Errorf("V's panel marks %d anomalies, want 2", n)
	}
	if flagged := c.eval(`[...document.querySelectorAll("table.rows tr.flag")].map((tr) => tr.cells[2].textContent)`); strings.Join(flagged, ",") != "4,5" {
		t.Errorf("the table flags rows of scores %q, want 4 and 5", flagged)
	}
	// The minute without rows breaks the line: two runs, not one.
	if d := evalJS[string](c, `document.querySelector('#live-chart figure[data-column="V"] path.series').getAttribute("d")`); strings.Count(d, "M") != 2 {
		t.Errorf("V's line %q should start twice (broken at the gap)", d)
	}
	c.shots("1-anomalies")
	c.do("V unticked", chromedp.Click(`//fieldset[@class="columns"]//input[@value="V"]`))
	if panels := c.eval(`[...document.querySelectorAll("#live-chart figure")].map((f) => f.dataset.column)`); strings.Join(panels, ",") != "ANOMALY_SCORE" {
		t.Errorf("with V unticked the panels are %q", panels)
	}
	c.do("V ticked again", chromedp.Click(`//fieldset[@class="columns"]//input[@value="V"]`))
	if panels := c.eval(`[...document.querySelectorAll("#live-chart figure")].map((f) => f.dataset.column)`); strings.Join(panels, ",") != "V,ANOMALY_SCORE" {
		t.Errorf("with V ticked again the panels are %q", panels)
	}
	c.do("NAMES, text only",
		chromedp.Click(`//button[@role="tab" and text()="NAMES"]`),
		chromedp.WaitVisible(`//table[@data-stream="NAMES"]//td[text()="n7"]`))
	if shown := evalJS[[]any](c, `[document.getElementById("live-chart").offsetParent !== null, document.querySelectorAll("#live-chart figure").length]`); shown[0] != false || shown[1] != float64(0) {
		t.Errorf("a text-only stream shows a chart box (shown %v, %v panels)", shown[0], shown[1])
	}
	c.shots("2-text-only")
}
