package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/lambdatest"
	"github.com/riffle-sql/riffle/internal/promscrape"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/streamlog"
)

// metric reads one series of the server's /metrics (as Prometheus writes
// it: labels in name order), or -1 when the server does not expose it.
func (c *session) metric(series string) float64 {
	c.t.Helper()
	if v, ok := promscrape.Series(c.t, c.srv.URL)[series]; ok {
		return v
	}
	return -1
}

var numberSchema = record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: []record.RecordColumn{
	{Name: "N", SqlType: "INTEGER", Mapping: "$.n"}}}

const copySQL = `CREATE STREAM "OUT" (N INTEGER);
CREATE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM "N" FROM "SOURCE_SQL_STREAM_001";`

// numbered stores records {"n": from}… {"n": from+n-1} in a stream, and
// then the bad records given (which do not fit the schema).
func (c *session) numbered(stream string, from, n int, bad ...string) {
	c.t.Helper()
	var recs []streamlog.Record
	for i := range n {
		recs = append(recs, streamlog.Record{Data: fmt.Appendf(nil, `{"n": %d}`, from+i), Arrival: time.Now()})
	}
	for _, b := range bad {
		recs = append(recs, streamlog.Record{Data: []byte(b), Arrival: time.Now()})
	}
	if _, err := c.srv.Log.Append(context.Background(), stream, 0, recs); err != nil {
		c.t.Fatal(err)
	}
}

// TestTheSQLEditorKeepsItsHeightAndLeadsToErrors: the editor keeps its
// height however long the SQL, scrolling inside with its line numbers; an
// error beside it is a link that puts the cursor on its line, in view; a
// template from "Add SQL from templates" fills the editor and runs.
func TestTheSQLEditorKeepsItsHeightAndLeadsToErrors(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 20)
	if err := c.srv.Log.Create(ctx, "clicks", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	lab := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: []record.RecordColumn{
		{Name: "browseraction", SqlType: "VARCHAR(16)", Mapping: "$.browseraction"}, {Name: "site", SqlType: "VARCHAR(64)", Mapping: "$.site"}}}
	if _, err := c.srv.Apps.Create(ctx, app.Application{Name: "ed", Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: lab}}}); err != nil {
		t.Fatal(err)
	}
	c.do("the SQL tab", chromedp.Navigate(c.srv.URL+"/#/app/ed/sql"), chromedp.WaitVisible(chromedp.CSS(`#sql`)))
	height := func() float64 {
		return evalJS[float64](c, `document.querySelector(".editor").getBoundingClientRect().height`)
	}
	short := height()
	// 120 lines: a comment of 116, then SQL naming a column the source lacks, on line 119.
	long := strings.Repeat("-- a long comment\n", 116) + `CREATE STREAM "OUT" (A VARCHAR(16));
CREATE PUMP "P" AS INSERT INTO "OUT"
SELECT STREAM "nope"
FROM "SOURCE_SQL_STREAM_001";`
	c.do("save SQL of 120 lines with an error on line 119",
		chromedp.SetValue(chromedp.CSS(`#sql`), long),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("sql").dispatchEvent(new Event("input"))`),
		chromedp.Click(`#sql-save`),
		chromedp.WaitVisible(chromedp.CSS(`#sql-errors a.sql-error`)))
	if h := height(); h != short {
		t.Errorf("the editor is %.0f pixels high with 120 lines, %.0f with none: it should keep its height", h, short)
	}
	if scrolls := evalJS[bool](c, `(() => { const s = document.getElementById("sql"); return s.scrollHeight > s.clientHeight + 100; })()`); !scrolls {
		t.Errorf("the editor does not scroll inside")
	}
	link := c.text("#sql-errors a.sql-error")
	if !strings.HasPrefix(link, "Line 119, column ") || !strings.Contains(strings.ToLower(link), "nope") {
		t.Fatalf("the error reads %q, want it on line 119 naming the column", link)
	}
	if side := evalJS[bool](c, `document.querySelector(".sql-problems").getBoundingClientRect().left > document.querySelector(".editor").getBoundingClientRect().right`); !side {
		t.Errorf("at 1280 pixels the errors are not beside the editor")
	}
	c.do("follow the error's link", chromedp.Click(chromedp.CSS(`#sql-errors a.sql-error`)))
	type caret struct {
		Focused         bool
		Line, Col       int
		Top, GutterTop  float64
		Visible, Marked bool
	}
	got := evalJS[caret](c, `(() => {
		const s = document.getElementById("sql");
		const before = s.value.slice(0, s.selectionStart).split("\n");
		const g = document.querySelector(".gutter");
		const mark = [...g.children].find((d) => d.textContent === "119");
		const gr = g.getBoundingClientRect(), mr = mark.getBoundingClientRect();
		return { focused: document.activeElement === s, line: before.length, col: before.at(-1).length + 1, top: s.scrollTop, gutterTop: g.scrollTop,
			visible: mr.top >= gr.top && mr.bottom <= gr.bottom, marked: mark.classList.contains("bad") };
	})()`)
	want := strings.TrimSuffix(strings.SplitN(strings.TrimPrefix(link, "Line 119, column "), ":", 2)[0], ",")
	if !got.Focused || got.Line != 119 || strconv.Itoa(got.Col) != want {
		t.Errorf("after the link the cursor is at line %d, column %d (focused %v), want line 119, column %s", got.Line, got.Col, got.Focused, want)
	}
	if got.Top == 0 || got.Top != got.GutterTop || !got.Visible || !got.Marked {
		t.Errorf("line 119 in view: editor scrolled %.0f, gutter %.0f, its number visible %v and marked %v", got.Top, got.GutterTop, got.Visible, got.Marked)
	}
	c.shots("1-error-link")

	// A template: the lab's columns have no number, so anomaly detection
	// scores counts per key (as the lab does).
	c.do("open the templates", chromedp.Click(`#sql-templates`), chromedp.WaitVisible(chromedp.CSS(`dialog[open] article[data-template="anomaly"]`)))
	ids := c.eval(`[...document.querySelectorAll("dialog[open] article")].map((a) => a.dataset.template)`)
	if !slices.Equal(ids, []string{"filter", "tumbling", "sliding", "anomaly"}) {
		t.Errorf("templates %v for the lab's columns", ids)
	}
	c.shots("2-templates")
	c.do("use anomaly detection",
		chromedp.Click(`//article[@data-template="anomaly"]//button[text()="Use this template"]`),
		chromedp.WaitNotPresent(chromedp.CSS(`dialog`)))
	sql := evalJS[string](c, `document.getElementById("sql").value`)
	if !strings.Contains(sql, "RANDOM_CUT_FOREST") || !strings.Contains(sql, `"browseraction"`) {
		t.Fatalf("the editor holds %q", sql)
	}
	stop := c.traffic("clicks", labSteady(), 20)
	defer stop()
	c.do("save and run it",
		chromedp.Click(`#sql-save`),
		chromedp.WaitVisible(`//span[@id="app-status" and text()="RUNNING"]`),
		chromedp.WaitVisible(`//button[@role="tab" and text()="DESTINATION_SQL_STREAM"]`),
		chromedp.Click(`//button[@role="tab" and text()="DESTINATION_SQL_STREAM"]`),
		chromedp.WaitVisible(chromedp.CSS(`table.rows[data-stream="DESTINATION_SQL_STREAM"] tbody tr`)))
	if a, _ := c.srv.Apps.Get(ctx, "ed"); a.Code != sql {
		t.Errorf("the application runs other SQL than the template's")
	}
	if cols := c.eval(`[...document.querySelectorAll("table.rows thead th")].map((th) => th.textContent)`); !slices.Contains(cols, "ANOMALY_SCORE") {
		t.Errorf("the template's rows have columns %v", cols)
	}
}

// TestTheSourceOfAStoppedApplicationCanChange: a stopped application's
// input changes stream and columns from the Source tab, as the service
// allowed; a running one's says to stop it first.
func TestTheSourceOfAStoppedApplicationCanChange(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1)
	for _, s := range []struct{ name, kind string }{{"a", "firehose"}, {"b", "kinesis"}} {
		if err := c.srv.Log.Create(ctx, s.name, s.kind, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.srv.Apps.Create(ctx, app.Application{Name: "src", Code: copySQL,
		Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "a", Kind: "firehose", Schema: numberSchema}}}); err != nil {
		t.Fatal(err)
	}
	c.do("edit the source",
		chromedp.Navigate(c.srv.URL+"/#/app/src/source"),
		chromedp.Click(`//button[text()="Edit source"]`),
		chromedp.WaitReady(chromedp.CSS(`#source-stream option[value="kinesis:b"]`)))
	if cur := evalJS[string](c, `document.getElementById("source-stream").value`); cur != "firehose:a" {
		t.Errorf("the form starts at %q, want the current stream firehose:a", cur)
	}
	c.do("another stream and a column more",
		choose(`#source-stream`, "kinesis:b"),
		chromedp.Click(`//button[text()="Add column"]`),
		chromedp.SendKeys(`(//input[@aria-label="Column name"])[2]`, "M"),
		chromedp.SetValue(`(//input[@aria-label="SQL type"])[2]`, "DOUBLE"),
		chromedp.SendKeys(`(//input[@aria-label="Mapping"])[2]`, "$.m"))
	c.shots("1-edit-source")
	c.do("save it", chromedp.Click(`//button[text()="Save source"]`), chromedp.WaitVisible(`//p[contains(., "Reads") and contains(., "b")]`))
	a, err := c.srv.Apps.Get(ctx, "src")
	if err != nil {
		t.Fatal(err)
	}
	in := a.Inputs[0]
	var cols []string
	for _, col := range in.Schema.RecordColumns {
		cols = append(cols, col.Name+" "+col.SqlType+" "+col.Mapping)
	}
	if in.Source != "b" || in.Kind != "kinesis" || strings.Join(cols, ", ") != "N INTEGER $.n, M DOUBLE $.m" {
		t.Errorf("the saved input reads %s %s with columns %v", in.Kind, in.Source, cols)
	}
	if err := c.srv.Apps.Start(ctx, "src", app.Now); err != nil {
		t.Fatal(err)
	}
	c.do("running, it cannot change", chromedp.Navigate(c.srv.URL+"/#/app/src/source"), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#source-locked`)))
	if n := evalJS[int](c, `[...document.querySelectorAll("button")].filter((b) => b.textContent === "Edit source").length`); n != 0 {
		t.Errorf("a running application offers Edit source")
	}
	// The tabs work from the keyboard, and the address follows them.
	c.do("arrow right from Source", chromedp.Focus(`#tab-source`), chromedp.SendKeys(`#tab-source`, kb.ArrowRight),
		chromedp.WaitVisible(chromedp.CSS(`#sql`)))
	if got := c.eval(`[document.activeElement.id, location.hash]`); got[0] != "tab-sql" || got[1] != "#/app/src/sql" {
		t.Errorf("after the arrow key the focus is on %q and the address %q, want tab-sql and #/app/src/sql", got[0], got[1])
	}
}

// TestDestinationsAreChosenFromListsAndShowTheirDelivery: the Destinations
// tab offers the SQL's streams, the server's functions and streams; each
// output shows how its delivery goes: rows delivered to a function that
// works, and the failures and last error of one that answers 500.
func TestDestinationsAreChosenFromListsAndShowTheirDelivery(t *testing.T) {
	ctx := context.Background()
	good := lambdatest.New(t)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "the function is broken", http.StatusInternalServerError)
	}))
	t.Cleanup(broken.Close)
	fns := map[string]destination.Function{}
	for name, url := range map[string]string{"good": good.URL, "broken": broken.URL} {
		f, err := destination.NewHTTPFunction(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		fns[name] = f
	}
	c := newSessionWith(t, server.Config{Apps: app.Options{TimeScale: 1, Functions: fns}})
	if err := c.srv.Log.Create(ctx, "in", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.srv.Apps.Create(ctx, app.Application{Name: "d", Code: copySQL,
		Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "in", Kind: "firehose", Schema: numberSchema}}}); err != nil {
		t.Fatal(err)
	}
	c.do("the Destinations tab", chromedp.Navigate(c.srv.URL+"/#/app/d/destinations"),
		chromedp.WaitReady(chromedp.CSS(`#out-stream option[value="OUT"]`)),
		chromedp.WaitReady(chromedp.CSS(`#out-pick option[value="good"]`)))
	if streams := c.eval(`[...document.getElementById("out-stream").options].map((o) => o.value)`); !slices.Equal(streams, []string{"OUT", "error_stream"}) {
		t.Errorf("the streams offered are %v, want the SQL's OUT and error_stream", streams)
	}
	if picks := c.eval(`[...document.getElementById("out-pick").options].map((o) => o.textContent)`); !slices.Equal(picks[:2], []string{"broken", "good"}) || len(picks) != 3 {
		t.Errorf("the functions offered are %v, want the server's two and another by ARN or URL", picks)
	}
	if hidden := evalJS[bool](c, `document.getElementById("out-target").closest("[hidden]") !== null`); !hidden {
		t.Errorf("the ARN or URL field shows while a known function is picked")
	}
	for _, fn := range []string{"good", "broken"} {
		c.do("connect OUT to "+fn,
			chromedp.WaitReady(chromedp.CSS(`#out-pick option[value="`+fn+`"]`)),
			choose(`#out-stream`, "OUT"), choose(`#out-kind`, "lambda"), choose(`#out-pick`, fn),
			chromedp.Click(`//button[text()="Connect"]`),
			chromedp.WaitVisible(`//table[@id="outputs"]//td[contains(., "`+fn+`")]`))
	}
	if err := c.srv.Apps.Start(ctx, "d", app.Now); err != nil {
		t.Fatal(err)
	}
	c.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#outputs td.health`)))
	c.numbered("in", 0, 5)
	row := func(fn, cell string) string {
		return evalJS[string](c, fmt.Sprintf(`(() => { const tr = [...document.querySelectorAll("#outputs tbody tr")].find((tr) => tr.textContent.includes(%q)); return tr ? tr.querySelector("td.%s").textContent : ""; })()`, fn, cell))
	}
	c.until("the good function's 5 rows shown delivered", func() (bool, string) {
		got, _ := good.Counts()
		return row("good", "delivered") == "5" && row("good", "health") == "delivering" && got == 5,
			fmt.Sprintf("the page says %s delivered (%s); the function has %d", row("good", "delivered"), row("good", "health"), got)
	})
	c.until("the broken function's failures shown", func() (bool, string) {
		h, failed, last := row("broken", "health"), row("broken", "failed"), row("broken", "lastError")
		return (h == "retrying" || h == "failing") && failed != "0" && strings.Contains(last, "500"), fmt.Sprintf("%s, %s failed, last error %q", h, failed, last)
	})
	if lastOK := row("good", "lastSuccess"); !strings.Contains(lastOK, "UTC") {
		t.Errorf("the good function's last success reads %q", lastOK)
	}
	def, err := c.srv.Apps.Get(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	id := def.Outputs[slices.IndexFunc(def.Outputs, func(o app.Output) bool { return o.Target == "good" })].ID
	delivered := c.metric(`riffle_destination_delivered_records_total{application="d",destination="lambda:good",output="` + id + `"}`)
	if delivered != 5 {
		t.Errorf("/metrics says %v delivered to good; the page said 5", delivered)
	}
	c.shots("1-delivery")
}

// TestMonitoringShowsTheFiguresOfMetrics: the Monitoring tab shows records
// in, rows per stream with rates, error_stream, the input lag and the
// checkpoint's age, the same figures as /metrics.
func TestMonitoringShowsTheFiguresOfMetrics(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1)
	if err := c.srv.Log.Create(ctx, "in", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.srv.Apps.Create(ctx, app.Application{Name: "m", Code: copySQL,
		Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "in", Kind: "firehose", Schema: numberSchema}}}); err != nil {
		t.Fatal(err)
	}
	c.do("not running", chromedp.Navigate(c.srv.URL+"/#/app/m/monitoring"), chromedp.WaitVisible(`//p[@id="mon-note" and contains(., "not running")]`))
	if err := c.srv.Apps.Start(ctx, "m", app.Now); err != nil {
		t.Fatal(err)
	}
	c.do("running", chromedp.Reload(), chromedp.WaitVisible(`//p[@id="mon-note" and contains(., "As of")]`))
	// Records keep coming, so the rates move above 0.
	sender := c.numberedSender("in", 50)
	sender.start()
	c.until("a rate of records in", func() (bool, string) {
		v := c.text("#mon-records .value")
		return strings.HasSuffix(v, "/s") && v != "0/s", "records in reads " + v
	})
	c.until("a rate of rows into OUT", func() (bool, string) {
		v := c.text(`#mon-streams tr[data-stream="OUT"] .rows-rate`)
		return strings.HasSuffix(v, "/s") && v != "0/s", "OUT's rate reads " + v
	})
	total := sender.stop()
	c.numbered("in", total, 0, `not json`, `{"n": "x"}`)
	sub := func() string { return c.text("#mon-records .sub") }
	c.until("every record counted", func() (bool, string) {
		return strings.HasPrefix(sub(), fmt.Sprintf("%d read", total+2)), "records in: " + sub()
	})
	c.until("the error_stream's rows", func() (bool, string) {
		v := c.text("#mon-errors .value")
		return v == "2 rows", "error_stream reads " + v
	})
	figures := map[string]string{
		"records":    sub(),
		"OUT":        c.text(`#mon-streams tr[data-stream="OUT"] .rows-total`),
		"source":     c.text(`#mon-streams tr[data-stream="SOURCE_SQL_STREAM_001"] .rows-total`),
		"error":      c.text(`#mon-streams tr[data-stream="error_stream"] .rows-total`),
		"lag":        c.text("#mon-lag .value"),
		"checkpoint": c.text("#mon-checkpoint .value"),
	}
	scrape := map[string]float64{
		"records": c.metric(`riffle_application_records_read_total{application="m"}`),
		"OUT":     c.metric(`riffle_application_stream_rows_total{application="m",stream="OUT"}`),
		"source":  c.metric(`riffle_application_stream_rows_total{application="m",stream="SOURCE_SQL_STREAM_001"}`),
		"error":   c.metric(`riffle_application_stream_rows_total{application="m",stream="error_stream"}`),
		"lag":     c.metric(`riffle_application_input_lag_messages{application="m"}`),
	}
	if figures["records"] != fmt.Sprintf("%.0f read since started", scrape["records"]) || figures["OUT"] != fmt.Sprint(scrape["OUT"]) ||
		figures["source"] != fmt.Sprint(scrape["source"]) || figures["error"] != fmt.Sprint(scrape["error"]) || figures["lag"] != fmt.Sprintf("%.0f messages", scrape["lag"]) {
		t.Errorf("the page shows %v; /metrics says %v", figures, scrape)
	}
	if figures["OUT"] != strconv.Itoa(total) || figures["error"] != "2" {
		t.Errorf("the page shows %s rows into OUT and %s into error_stream, want %d and 2", figures["OUT"], figures["error"], total)
	}
	if !strings.HasSuffix(figures["checkpoint"], "s") {
		t.Errorf("checkpoint age reads %q", figures["checkpoint"])
	}
	c.shots("1-monitoring")
}

// TestToastsLeaveTheNarrowPageUsable: on a 400-pixel screen, a run of
// failed actions shows the newest two toasts only, across the bottom, and
// they leave most of the screen to the page.
func TestToastsLeaveTheNarrowPageUsable(t *testing.T) {
	c := newSession(t, 1)
	if _, err := c.srv.Apps.Create(context.Background(), app.Application{Name: "taken"}); err != nil {
		t.Fatal(err)
	}
	c.do("a narrow screen", chromedp.EmulateViewport(400, 800), chromedp.Navigate(c.srv.URL+"/#/"), chromedp.WaitVisible(chromedp.CSS(`#app-name`)),
		chromedp.SendKeys(chromedp.CSS(`#app-name`), "taken"))
	for i := range 4 {
		c.do("create a taken name", chromedp.Click(`//button[text()="Create application"]`))
		c.waitJS("its toast", fmt.Sprintf(`document.querySelectorAll("#toasts .toast.bad").length === %d`, i+1))
	}
	type box struct {
		Shown        int
		Height, Left float64
		Right        float64
	}
	got := evalJS[box](c, `(() => {
		const shown = [...document.querySelectorAll("#toasts .toast")].filter((t) => t.getClientRects().length);
		const r = document.getElementById("toasts").getBoundingClientRect();
		return { shown: shown.length, height: r.height, left: r.left, right: window.innerWidth - r.right };
	})()`)
	if got.Shown != 2 || got.Height > 800*0.3 {
		t.Errorf("at 400 pixels %d toasts show, %.0f pixels high; want the newest 2, under 30%% of the screen", got.Shown, got.Height)
	}
	screenshot(t, c.b, "1-toasts-400")
}
