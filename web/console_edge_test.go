package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/streamlog"
)

// liveApp creates and starts an application reading stream "in" into an
// in-application stream named out (a quoted SQL name, so any characters).
func liveApp(t *testing.T, c *session, name, out string) {
	t.Helper()
	ctx := context.Background()
	if err := c.srv.Log.Create(ctx, "in", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	schema := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: []record.RecordColumn{{Name: "N", SqlType: "INTEGER", Mapping: "$.n"}}}
	def := app.Application{Name: name, Code: fmt.Sprintf(`CREATE STREAM "%s" (N INTEGER);
CREATE PUMP "P" AS INSERT INTO "%s" SELECT STREAM "N" FROM "SOURCE_SQL_STREAM_001";`, out, out),
		Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "in", Kind: "firehose", Schema: schema}}}
	if _, err := c.srv.Apps.Create(ctx, def); err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Apps.Start(ctx, name, app.Now); err != nil {
		t.Fatal(err)
	}
	if _, err := c.srv.Log.Append(ctx, "in", 0, []streamlog.Record{{Data: []byte(`{"n": 7}`), Arrival: time.Now()}}); err != nil {
		t.Fatal(err)
	}
}

// signIn signs the console in with a key of the server's --auth file.
func signIn(c *session, id, secret string) {
	c.do("sign in",
		chromedp.Navigate(c.srv.URL+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`#login-id`)),
		chromedp.SendKeys(chromedp.CSS(`#login-id`), id),
		chromedp.SendKeys(chromedp.CSS(`#login-secret`), secret),
		chromedp.Click(`//button[text()="Sign in"]`),
		chromedp.WaitVisible(chromedp.CSS(`#app-name`)))
}

// TestAQuotedStreamNameOpensUnderAuth: under --auth the live view of a
// stream whose quoted name holds a space opens (the presigned path is
// encoded as SigV4 wants it), as error_stream's does.
func TestAQuotedStreamNameOpensUnderAuth(t *testing.T) {
	c := newSession(t, 1, map[string]string{"AKID": "s3cret"})
	liveApp(t, c, "live", "MY OUT")
	signIn(c, "AKID", "s3cret")
	// The same signing code, called directly: the tap of "MY OUT".
	status := evalAsync[[]string](c, `import("/sigv4.js").then(async (m) => {
			const creds = JSON.parse(sessionStorage.getItem("riffle-credentials"));
			const out = [];
			for (const s of ["error_stream", "MY OUT"]) {
				const url = m.presign(creds, "us-east-1", "riffle", "GET", "/riffle/v1/applications/live/streams/" + encodeURIComponent(s) + "?follow=false");
				const r = await fetch(url);
				out.push(s + ": " + r.status + " " + (await r.text()).slice(0, 80));
			}
			return out;
		})`)
	for _, s := range status {
		t.Log(s)
		if !strings.Contains(s, ": 200") {
			t.Errorf("presigned tap refused: %s", s)
		}
	}
	c.do("the live view of MY OUT",
		chromedp.Navigate(c.srv.URL+"/#/app/live"),
		chromedp.WaitVisible(`//button[@role="tab" and text()="MY OUT"]`),
		chromedp.Click(`//button[@role="tab" and text()="MY OUT"]`),
		chromedp.WaitVisible(`//table[@data-stream="MY OUT"]//td[text()="7"]`))
}

// evalAsync evaluates a script that returns a promise, with its value.
func evalAsync[T any](c *session, js string) T {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.b, guard)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		c.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// TestAPageOfAnotherSiteCannotStartASender: a page of another origin that
// posts to the console's generator (a simple cross-site request, no
// preflight) starts nothing, on a server without --auth.
func TestAPageOfAnotherSiteCannotStartASender(t *testing.T) {
	c := newSession(t, 1)
	if err := c.srv.Log.Create(context.Background(), "events", "kinesis", 1); err != nil {
		t.Fatal(err)
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><script>
fetch(%q, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
  body: JSON.stringify({name: "csrf", template: "{\"pwned\": true}", stream: "events", rate: 100})})
  .then(() => document.title = "sent", () => document.title = "failed");
</script>`, c.srv.URL+"/riffle/v1/generator/senders")
	}))
	defer evil.Close()
	// Another origin: 127.0.0.1 vs localhost differ as origins too.
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
	c.do("visit another site", chromedp.Navigate(evilURL))
	c.waitJS("the other site's request answered", `document.title === "sent" || document.title === "failed"`)
	// The page's request has had its answer: the server has handled it.
	resp, err := http.Get(c.srv.URL + "/riffle/v1/generator/senders")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), `"csrf"`) {
		t.Errorf("a page of another origin started a sender: %s", body)
	}
}

// heldFetch holds the page's fetches whose X-Amz-Target ends with op, or
// whose URL contains part, until the test calls window.release() (a slow
// server or network, as slow as the test needs: no margin of time); it
// counts in window.held those that wait and in window.slowDone those whose
// body the page has read.
const heldFetch = `(op, part) => {
	const f = window.fetch;
	window.held = 0;
	window.slowDone = 0;
	const released = new Promise((r) => { window.release = r; });
	window.fetch = (u, o) => {
		const target = String((o && o.headers && o.headers["X-Amz-Target"]) || "");
		const slow = (op && target.endsWith("." + op)) || (part && String(u).includes(part));
		if (!slow) return f(u, o);
		window.held++;
		return released.then(() => f(u, o)).then((resp) => {
			const text = resp.text.bind(resp);
			resp.text = () => text().then((t) => { window.slowDone++; return t; });
			return resp;
		});
	};
}`

// afterSlowFetch releases the held fetches and waits until the first one's
// body was read and the page has run what it does with it (its promise
// callbacks run before the next task).
func (c *session) afterSlowFetch() {
	c.t.Helper()
	c.eval(`window.release(); []`)
	c.waitJS("the slow fetch read", `window.slowDone >= 1`)
	if _, err := chromedp.Run(c.b, chromedp.Evaluate[bool](`new Promise((r) => setTimeout(() => r(true), 0))`, chromedp.EvalAwaitPromise)); err != nil {
		c.t.Fatal(err)
	}
}

// TestASlowPageLoadDoesNotCoverANewerPage: a page that finishes loading
// after the user went elsewhere draws nothing over the newer page.
func TestASlowPageLoadDoesNotCoverANewerPage(t *testing.T) {
	c := newSession(t, 1)
	if _, err := c.srv.Apps.Create(context.Background(), app.Application{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	c.do("open the console", chromedp.Navigate(c.srv.URL+"/#/"), chromedp.WaitVisible(chromedp.CSS(`#app-name`)))
	c.eval(`(` + heldFetch + `)("DescribeApplication", ""); location.hash = "#/app/a"; []`)
	c.waitJS("the application's page loading", `window.held >= 1`)
	c.do("the streams page", chromedp.Evaluate[chromedp.Void](`location.hash = "#/streams"`), chromedp.WaitVisible(`//h1[text()="Streams"]`))
	c.afterSlowFetch()
	got := c.eval(`[location.hash, document.querySelector("h1").textContent]`)
	if got[1] != "Streams" {
		screenshot(t, c.b, "clobbered")
		t.Errorf("at %s the page shows %q, want the streams page", got[0], got[1])
	}
}

// TestTheLiveViewEndsWithItsPage: leaving an application's page before its
// streams are listed opens no tap afterwards.
func TestTheLiveViewEndsWithItsPage(t *testing.T) {
	c := newSession(t, 1)
	liveApp(t, c, "live", "OUT")
	c.do("open the console", chromedp.Navigate(c.srv.URL+"/#/"), chromedp.WaitVisible(chromedp.CSS(`#app-name`)))
	c.eval(`window.opened = [];
		const ES = window.EventSource;
		window.EventSource = class extends ES { constructor(u) { super(u); window.opened.push(this); } };
		(` + heldFetch + `)("", "/streams?");
		location.hash = "#/app/live"; []`)
	c.do("the application's page", chromedp.WaitVisible(chromedp.CSS(`#live-title`)))
	c.waitJS("its streams being listed", `window.held >= 1`)
	c.do("go to the streams page", chromedp.Evaluate[chromedp.Void](`location.hash = "#/streams"`), chromedp.WaitVisible(`//h1[text()="Streams"]`))
	c.afterSlowFetch()
	open := c.eval(`window.opened.filter((s) => s.readyState !== EventSource.CLOSED).map((s) => s.url)`)
	if len(open) > 0 {
		t.Errorf("on the streams page, %d tap(s) still open: %v", len(open), open)
	}
}

// TestSaveAfterAFailedStartUsesTheNewVersion: when Save and run saves the
// code but the start fails (a reference file is down), the page says so and
// reloads with the new version, so the next Save and run goes through.
func TestSaveAfterAFailedStartUsesTheNewVersion(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1)
	if err := c.srv.Log.Create(ctx, "in", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	refSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "a,b\n")
	}))
	defer refSrv.Close()
	schema := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: []record.RecordColumn{{Name: "N", SqlType: "INTEGER", Mapping: "$.n"}}}
	if _, err := c.srv.Apps.Create(ctx, app.Application{Name: "a",
		Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "in", Kind: "firehose", Schema: schema}}}); err != nil {
		t.Fatal(err)
	}
	ref := app.Reference{TableName: "labels", Bucket: "lab", Key: refSrv.URL + "/labels.csv", Schema: record.Schema{
		RecordFormat:  record.RecordFormat{RecordFormatType: record.CSV, MappingParameters: &record.MappingParameters{CSVMappingParameters: &record.CSVMappingParameters{RecordRowDelimiter: "\n", RecordColumnDelimiter: ","}}},
		RecordColumns: []record.RecordColumn{{Name: "action", SqlType: "VARCHAR(16)"}, {Name: "label", SqlType: "VARCHAR(16)"}},
	}}
	if err := c.srv.Apps.AddReference(ctx, "a", 1, ref); err != nil {
		t.Fatal(err)
	}
	down.Store(true)
	sql := "CREATE STREAM \"OUT\" (N INTEGER);\nCREATE PUMP \"P\" AS INSERT INTO \"OUT\" SELECT STREAM \"N\" FROM \"SOURCE_SQL_STREAM_001\";"
	c.do("save and run while the reference data is down",
		chromedp.Navigate(c.srv.URL+"/#/app/a/sql"),
		chromedp.WaitVisible(chromedp.CSS(`#sql`)),
		chromedp.SetValue(chromedp.CSS(`#sql`), sql),
		chromedp.Click(`#sql-save`),
		chromedp.WaitVisible(`//div[@id="action-error" and contains(., "Saved, but not started")]`))
	if a, _ := c.srv.Apps.Get(ctx, "a"); a.Code != sql || a.Status == app.Running {
		t.Fatalf("after the failed start: status %s, code saved %v", a.Status, a.Code == sql)
	}
	down.Store(false) // the reference is back
	c.do("save and run again, with the version the page has now",
		chromedp.Click(`#sql-save`),
		chromedp.WaitVisible(`//span[@id="app-status" and text()="RUNNING"]`))
}

// TestTheLiveViewReconnectsWithAFreshSignature: when a tap ends (the
// application restarts on an update from the CLI), the live view opens it
// again with a new signature (a presigned URL lives five minutes) and goes
// on showing rows.
func TestTheLiveViewReconnectsWithAFreshSignature(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1, map[string]string{"AKID": "s3cret"})
	liveApp(t, c, "live", "OUT")
	signIn(c, "AKID", "s3cret")
	c.do("follow OUT",
		chromedp.Navigate(c.srv.URL+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`#app-name`)),
		chromedp.Evaluate[chromedp.Void](`window.opened = [];
			const ES = window.EventSource;
			window.EventSource = class extends ES { constructor(u) { super(u); window.opened.push(u); } };
			location.hash = "#/app/live"`),
		chromedp.WaitVisible(`//button[@role="tab" and text()="OUT"]`),
		chromedp.Click(`//button[@role="tab" and text()="OUT"]`),
		chromedp.WaitVisible(`//table[@data-stream="OUT"]//td[text()="7"]`))
	a, err := c.srv.Apps.Get(ctx, "live")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Apps.UpdateCode(ctx, "live", a.Version, a.Code+"\n"); err != nil { // as from the CLI: the application restarts
		t.Fatal(err)
	}
	if _, err := c.srv.Log.Append(ctx, "in", 0, []streamlog.Record{{Data: []byte(`{"n": 8}`), Arrival: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	c.do("the new row, through the reopened tap", chromedp.WaitVisible(`//table[@data-stream="OUT"]//td[text()="8"]`))
	urls := c.eval(`window.opened.filter((u) => u.includes("/streams/OUT"))`)
	if len(urls) < 2 {
		t.Fatalf("the tap was opened %d times", len(urls))
	}
	signature := func(u string) string { return u[strings.Index(u, "X-Amz-Signature="):] }
	if signature(urls[0]) == signature(urls[len(urls)-1]) {
		t.Errorf("the tap was reopened with the same signature: %s", urls[len(urls)-1])
	}
}
