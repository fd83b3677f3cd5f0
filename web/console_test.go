package web_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/generator"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
	"github.com/riffle-sql/riffle/streamlog"
)

// browser starts headless Chromium for a test (scripts/setup installs the
// Debian package); confirm() dialogs are accepted, as a user would.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run scripts/setup (Debian package chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 800))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	// Listen's callback may not call the browser: a goroutine answers.
	dialogs := make(chan struct{}, 8)
	if err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs <- struct{}{}
		}
	}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-dialogs:
				chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}
		}
	}()
	return ctx
}

// screenshot saves the page under testout/ (the test output folder).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("testout", t.Name())
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// session is a browser on a console served by an in-process server.
type session struct {
	t   *testing.T
	srv *servertest.Server
	b   context.Context
}

// newSession serves the console on a fresh server whose application time
// runs scale times faster (checking signatures against keys, if any), and
// opens a browser.
func newSession(t *testing.T, scale float64, keys ...map[string]string) *session {
	var creds map[string]string
	if len(keys) > 0 {
		creds = keys[0]
	}
	srv := servertest.Start(t, server.Config{Credentials: creds, Apps: app.Options{TimeScale: scale, Poll: 10 * time.Millisecond}})
	return &session{t: t, srv: srv, b: browser(t)}
}

// do runs steps, saving a screenshot and failing the test if one fails.
func (c *session) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.b, 30*time.Second) // a step that hangs fails alone
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		screenshot(c.t, c.b, "failed")
		c.t.Fatalf("%s: %v", what, err)
	}
}

func (c *session) text(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.b, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		screenshot(c.t, c.b, "failed")
		c.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (c *session) eval(js string) []string {
	c.t.Helper()
	v, err := chromedp.Run(c.b, chromedp.Evaluate[[]string](js))
	if err != nil {
		c.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// traffic sends generated records to a delivery stream until the test
// ends.
func (c *session) traffic(stream string, s generator.Scenario, speed float64) {
	c.t.Helper()
	target, err := generator.NewStreamTarget(context.Background(), generator.StreamConfig{Name: stream, Kind: "firehose", Endpoint: c.srv.URL,
		Credentials: generator.PlaceholderCredentials()})
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	run, err := generator.Start(ctx, s, generator.Options{Target: target, Speed: speed, Forever: s.Duration > 0})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { stop(); <-run.Done() })
}

// TestTheLabInTheConsole does the lab's steps in a real browser: create a
// delivery stream and an application, discover the schema from generator
// traffic, see a SQL error at its line, run the lab's SQL, watch rows come
// into CTRSTREAM and DESTINATION_SQL_STREAM, stop and delete.
func TestTheLabInTheConsole(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 20)
	srv, b, run, text, eval := c.srv, c.b, c.do, c.text, c.eval
	run("create the delivery stream",
		chromedp.Navigate(srv.URL+"/#/streams"),
		chromedp.WaitVisible(chromedp.CSS(`#stream-name`)),
		chromedp.SendKeys(chromedp.CSS(`#stream-name`), "clicks"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Create a stream"] button`)),
		chromedp.WaitVisible(`//td[text()="clicks"]`))
	screenshot(t, b, "1-streams")

	// The lab's traffic, as the generator sends it, all along.
	c.traffic("clicks", generator.Lab(), 20)

	run("refuse an application without a name",
		chromedp.Navigate(srv.URL+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`#app-name`)),
		chromedp.Click(chromedp.CSS(`form[aria-label="Create an application"] button`)))
	empty := text("#app-name-error")
	if !strings.Contains(empty, "needs a name") {
		t.Errorf("an empty name says %q next to the field", empty)
	}
	run("create the application",
		chromedp.SendKeys(chromedp.CSS(`#app-name`), "lab"),
		chromedp.SendKeys(chromedp.CSS(`#app-description`), "clickstream anomalies"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Create an application"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#source-stream`)))
	run("discover the schema",
		chromedp.WaitReady(chromedp.CSS(`#source-stream option[value="firehose:clicks"]`)),
		chromedp.SetValue(chromedp.CSS(`#source-stream`), "firehose:clicks"),
		chromedp.Click(`//button[text()="Discover schema"]`),
		chromedp.WaitVisible(`//button[text()="Connect source"]`))
	columns := text("#columns table")
	screenshot(t, b, "2-discovered")
	run("connect the source",
		chromedp.Click(`//button[text()="Connect source"]`),
		chromedp.WaitVisible(`//p[contains(., "Reads")]`))
	cols := eval(`[...document.querySelectorAll("section[aria-labelledby=source-title] tbody tr td:first-child")].map(td => td.textContent)`)
	if strings.Join(cols, ",") != "browseraction,site" {
		t.Fatalf("connected columns %v (discovered %q)", cols, columns)
	}

	// A SQL error shows at its line and column.
	bad := "CREATE STREAM \"S\" (a INTEGER);\nCREATE PUMP \"P\" AS INSERT INTO \"S\" SELECT STREAM nope FROM \"SOURCE_SQL_STREAM_001\";"
	run("save bad SQL",
		chromedp.SetValue(chromedp.CSS(`#sql`), bad),
		chromedp.Click(`//section[@aria-labelledby="sql-title"]//button`),
		chromedp.WaitVisible(chromedp.CSS(`.sql-error`)))
	sqlErr := text("#sql-errors")
	if !strings.Contains(sqlErr, "Line 2, column") || !strings.Contains(strings.ToLower(sqlErr), "nope") {
		t.Errorf("the SQL error says %q, want it at line 2 naming the column", sqlErr)
	}
	if kw := eval(`[...document.querySelectorAll(".code .kw")].slice(0, 2).map(s => s.textContent)`); strings.Join(kw, " ") != "CREATE STREAM" {
		t.Errorf("highlighted keywords %v, want CREATE STREAM first", kw)
	}
	badLines := eval(`[...document.querySelectorAll(".gutter .bad")].map(d => d.textContent)`)
	if strings.Join(badLines, ",") != "2" {
		t.Errorf("marked lines %v, want [2]", badLines)
	}
	screenshot(t, b, "3-sql-error")

	sql, err := os.ReadFile("../runner/testdata/bench/clickstream.sql")
	if err != nil {
		t.Fatal(err)
	}
	run("save and run the lab's SQL",
		chromedp.SetValue(chromedp.CSS(`#sql`), string(sql)),
		chromedp.Click(`//section[@aria-labelledby="sql-title"]//button`),
		chromedp.WaitVisible(`//span[@id="app-status" and text()="RUNNING"]`),
		chromedp.WaitVisible(`//button[@role="tab" and text()="CTRSTREAM"]`))
	run("watch CTRSTREAM",
		chromedp.Click(`//button[@role="tab" and text()="CTRSTREAM"]`),
		chromedp.WaitVisible(chromedp.CSS(`table.rows[data-stream="CTRSTREAM"] tbody tr`)))
	screenshot(t, b, "4-ctrstream")
	header := eval(`[...document.querySelectorAll("table.rows thead th")].map(th => th.textContent)`)
	if strings.Join(header, ",") != "ROWTIME,CTR" {
		t.Errorf("CTRSTREAM columns %v, want ROWTIME first", header)
	}
	run("watch DESTINATION_SQL_STREAM (the bursts' anomalies)",
		chromedp.Click(`//button[@role="tab" and text()="DESTINATION_SQL_STREAM"]`),
		chromedp.WaitVisible(chromedp.CSS(`table.rows[data-stream="DESTINATION_SQL_STREAM"] tbody tr.flag`)))
	screenshot(t, b, "5-anomalies")
	run("a narrow screen", chromedp.EmulateViewport(400, 800), chromedp.Reload(), chromedp.WaitVisible(`//button[@role="tab"]`))
	if wide := eval(`[String(document.documentElement.scrollWidth), String(window.innerWidth)]`); wide[0] != wide[1] {
		t.Errorf("on a 400-pixel screen the page is %s pixels wide", wide[0])
	}
	screenshot(t, b, "6-narrow")
	run("back to a desktop screen", chromedp.EmulateViewport(1280, 800), chromedp.Reload(), chromedp.WaitVisible(`//button[text()="Stop"]`))

	run("stop",
		chromedp.Click(`//button[text()="Stop"]`),
		chromedp.WaitVisible(`//span[@id="app-status" and text()="READY"]`))
	run("delete",
		chromedp.Click(`//button[text()="Delete"]`),
		chromedp.WaitVisible(chromedp.CSS(`#app-name`)))
	run("list", chromedp.WaitVisible(`//td[text()="No applications yet."]`))
	if _, err := srv.Apps.Get(ctx, "lab"); err == nil {
		t.Errorf("the application is still there after Delete")
	}
	fmt.Fprintln(os.Stderr, "screenshots in", filepath.Join("web", "testout", t.Name()))
}

// TestFormsRefuseBadInputAndLeaveNothingBehind: an empty or duplicate
// name, bad SQL and a destination URL nobody answers each get a message
// next to their field, and nothing half-made stays behind.
func TestFormsRefuseBadInputAndLeaveNothingBehind(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1)
	if err := c.srv.Log.Create(ctx, "s", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	c.do("an empty stream name, then a stream that exists",
		chromedp.Navigate(c.srv.URL+"/#/streams"),
		chromedp.WaitVisible(chromedp.CSS(`#stream-name`)),
		chromedp.Click(chromedp.CSS(`form[aria-label="Create a stream"] button`)))
	if msg := c.text("#stream-name-error"); !strings.Contains(msg, "needs a name") {
		t.Errorf("empty stream name: %q", msg)
	}
	c.do("a stream that exists, submitted from the keyboard",
		chromedp.SendKeys(chromedp.CSS(`#stream-name`), "s\r"),
		chromedp.WaitVisible(`//div[@id="stream-name-error" and string-length(text()) > 0]`))
	if msg := c.text("#stream-name-error"); !strings.Contains(msg, "s") {
		t.Errorf("duplicate stream: %q", msg)
	}

	c.do("create an application",
		chromedp.Navigate(c.srv.URL+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`#app-name`)),
		chromedp.SendKeys(chromedp.CSS(`#app-name`), "a"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Create an application"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#sql`)))
	c.do("a second application of that name",
		chromedp.Navigate(c.srv.URL+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`#app-name`)),
		chromedp.SendKeys(chromedp.CSS(`#app-name`), "a"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Create an application"] button`)),
		chromedp.WaitVisible(`//div[@id="app-name-error" and string-length(text()) > 0]`))
	if msg := c.text("#app-name-error"); !strings.Contains(msg, "exists already") {
		t.Errorf("duplicate application: %q", msg)
	}
	screenshot(t, c.b, "1-duplicate")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/invoke"
	ln.Close() // nothing answers there
	c.do("a destination nobody answers",
		chromedp.Navigate(c.srv.URL+"/#/app/a"),
		chromedp.WaitVisible(chromedp.CSS(`#out-target`)),
		chromedp.SendKeys(chromedp.CSS(`#out-target`), dead),
		chromedp.Click(chromedp.CSS(`form[aria-label="Connect a destination"] button`)),
		chromedp.WaitVisible(`//div[@id="out-target-error" and string-length(text()) > 0]`))
	if msg := c.text("#out-target-error"); !strings.Contains(msg, "cannot reach") {
		t.Errorf("unreachable destination: %q", msg)
	}
	c.do("bad SQL",
		chromedp.SetValue(chromedp.CSS(`#sql`), "CREATE STREAM \"S\" (a INTEGER);\nCREATE PUMP nope;"),
		chromedp.Click(`//section[@aria-labelledby="sql-title"]//button`),
		chromedp.WaitVisible(chromedp.CSS(`.sql-error`)))
	if msg := c.text("#sql-errors"); msg != "Line 2, column 17: expected AS, found ;" {
		t.Errorf("the SQL error reads %q", msg)
	}
	screenshot(t, c.b, "2-refused")
	a, err := c.srv.Apps.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Outputs) != 0 || a.Code != "" || a.Version != 1 {
		t.Errorf("refused changes were kept: %d outputs, code %q, version %d", len(a.Outputs), a.Code, a.Version)
	}
	if apps, _ := c.srv.Apps.List(ctx); len(apps) != 1 {
		t.Errorf("%d applications, want the one made", len(apps))
	}
}

// TestTheLiveViewKeepsUpWithAThousandRowsASecond: a stream filling at
// 1,000 rows a second keeps the page responsive (a click is answered), and
// the page holds only the newest rows.
func TestTheLiveViewKeepsUpWithAThousandRowsASecond(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1)
	if err := c.srv.Log.Create(ctx, "fast", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	schema := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: []record.RecordColumn{
		{Name: "N", SqlType: "INTEGER", Mapping: "$.n"}, {Name: "S", SqlType: "VARCHAR(8)", Mapping: "$.s"}}}
	def := app.Application{Name: "fast", Code: `CREATE STREAM "OUT" (N INTEGER, S VARCHAR(8));
CREATE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM "N", "S" FROM "SOURCE_SQL_STREAM_001";`,
		Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "fast", Kind: "firehose", Schema: schema}}}
	if _, err := c.srv.Apps.Create(ctx, def); err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Apps.Start(ctx, "fast", app.Now); err != nil {
		t.Fatal(err)
	}
	c.traffic("fast", generator.Scenario{Senders: []generator.Sender{{Name: "fast", Rate: 1000,
		Template: `{"n": {{random.number(1000)}}, "s": "{{random.alphaNumeric(6)}}"}`}}}, 1)
	c.do("follow OUT",
		chromedp.Navigate(c.srv.URL+"/#/app/fast"),
		chromedp.WaitVisible(`//button[@role="tab" and text()="OUT"]`),
		chromedp.Click(`//button[@role="tab" and text()="OUT"]`),
		chromedp.WaitVisible(chromedp.CSS(`table.rows[data-stream="OUT"] tbody tr`)))
	if _, err := chromedp.Run(c.b, chromedp.Poll[bool](`parseInt(document.getElementById("live-count").textContent) >= 5000`,
		chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		screenshot(t, c.b, "failed")
		t.Fatalf("the page did not count 5,000 rows: %v (%s)", err, c.text("#live-count"))
	}
	c.do("pause answers at once", chromedp.Click(`//button[text()="Pause"]`), chromedp.WaitVisible(`//button[@aria-pressed="true" and text()="Resume"]`))
	screenshot(t, c.b, "1-paused")
	rows := c.eval(`[...document.querySelectorAll('table.rows[data-stream="OUT"] tbody tr')].map(tr => tr.cells[1].textContent)`)
	if len(rows) == 0 || len(rows) > 200 {
		t.Errorf("the page holds %d rows, want at most the newest 200", len(rows))
	}
	t.Logf("%s", c.text("#live-count"))
}

// TestTheGeneratorPageSendsAndTheStreamsPageShowsIt: the console's KDG
// page renders five samples of a template, runs a sender to a stream and
// counts it; the server holds what it counted; the streams page samples
// the newest records.
func TestTheGeneratorPageSendsAndTheStreamsPageShowsIt(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1)
	if err := c.srv.Log.Create(ctx, "events", "kinesis", 2); err != nil {
		t.Fatal(err)
	}
	c.do("test a template",
		chromedp.Navigate(c.srv.URL+"/#/generator"),
		chromedp.WaitReady(chromedp.CSS(`#gen-stream option[value="events"]`)),
		chromedp.SetValue(chromedp.CSS(`#gen-template`), `{"id": "{{random.uuid}}", "n": {{random.number(9)}}}`),
		chromedp.Click(`//button[text()="Test template"]`),
		chromedp.WaitVisible(chromedp.CSS(`#gen-samples`)))
	samples := strings.Split(c.text("#gen-samples"), "\n")
	if len(samples) != 5 || !strings.HasPrefix(samples[0], `{"id": "`) {
		t.Errorf("samples %q", samples)
	}
	c.do("a bad template is refused with its position",
		chromedp.SetValue(chromedp.CSS(`#gen-template`), `{"n": {{random.nmber}}}`),
		chromedp.Click(`//button[text()="Test template"]`),
		chromedp.WaitVisible(`//div[@id="gen-template-error" and contains(., "random.nmber")]`))
	c.do("send 100 records",
		chromedp.SetValue(chromedp.CSS(`#gen-template`), `{"id": "{{random.uuid}}"}`),
		chromedp.SetValue(chromedp.CSS(`#gen-stream`), "events"),
		chromedp.SetValue(chromedp.CSS(`#gen-rate`), "50"),
		chromedp.SetValue(chromedp.CSS(`#gen-count`), "100"),
		chromedp.Click(`//button[text()="Start sending"]`),
		chromedp.WaitVisible(`//table[@id="senders"]//td[@class="acked" and text()="100"]`))
	screenshot(t, c.b, "1-generator")
	stored := 0
	for shard := range 2 {
		recs, _, err := c.srv.Log.Read(ctx, "events", shard, streamlog.Seq{}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		stored += len(recs)
	}
	if stored != 100 {
		t.Errorf("the server holds %d records; the page counted 100 acknowledged", stored)
	}
	c.do("sample the stream",
		chromedp.Navigate(c.srv.URL+"/#/streams"),
		chromedp.WaitVisible(`//td[text()="events"]/..//button[text()="Sample"]`),
		chromedp.Click(`//td[text()="events"]/..//button[text()="Sample"]`),
		chromedp.WaitVisible(chromedp.CSS(`pre.sample`)))
	if lines := strings.Split(strings.TrimSpace(c.text("pre.sample")), "\n"); len(lines) != 20 || !strings.Contains(lines[0], `{"id": "`) {
		t.Errorf("sample of %d lines: %q", len(lines), lines)
	}
	screenshot(t, c.b, "2-sample")
}

// TestWithAuthTheConsoleSignsInAndSignsEveryRequest: on a server that
// checks signatures, the console asks for a key, refuses a wrong one, and
// with the right one lists, creates and follows a stream live (the
// EventSource through a presigned URL).
func TestWithAuthTheConsoleSignsInAndSignsEveryRequest(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1, map[string]string{"AKIDCONSOLE": "s3cret"})
	c.do("the console asks for a key",
		chromedp.Navigate(c.srv.URL+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`#login-id`)))
	c.do("a wrong secret is refused",
		chromedp.SendKeys(chromedp.CSS(`#login-id`), "AKIDCONSOLE"),
		chromedp.SendKeys(chromedp.CSS(`#login-secret`), "wrong"),
		chromedp.Click(`//button[text()="Sign in"]`),
		chromedp.WaitVisible(`//p[@role="alert" and contains(., "signature")]`))
	screenshot(t, c.b, "1-refused")
	c.do("the right one signs in",
		chromedp.SetValue(chromedp.CSS(`#login-id`), "AKIDCONSOLE"),
		chromedp.SetValue(chromedp.CSS(`#login-secret`), "s3cret"),
		chromedp.Click(`//button[text()="Sign in"]`),
		chromedp.WaitVisible(chromedp.CSS(`#app-name`)))
	c.do("create an application",
		chromedp.SendKeys(chromedp.CSS(`#app-name`), "signed"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Create an application"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#sql`)))
	if _, err := c.srv.Apps.Get(ctx, "signed"); err != nil {
		t.Fatalf("the signed CreateApplication did not land: %v", err)
	}
	// A running application's live view: the EventSource is presigned.
	if err := c.srv.Log.Create(ctx, "in", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	schema := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: []record.RecordColumn{{Name: "N", SqlType: "INTEGER", Mapping: "$.n"}}}
	def := app.Application{Name: "live", Code: `CREATE STREAM "OUT" (N INTEGER);
CREATE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM "N" FROM "SOURCE_SQL_STREAM_001";`,
		Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "in", Kind: "firehose", Schema: schema}}}
	if _, err := c.srv.Apps.Create(ctx, def); err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Apps.Start(ctx, "live", app.Now); err != nil {
		t.Fatal(err)
	}
	if _, err := c.srv.Log.Append(ctx, "in", 0, []streamlog.Record{{Data: []byte(`{"n": 7}`), Arrival: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	c.do("follow OUT",
		chromedp.Navigate(c.srv.URL+"/#/app/live"),
		chromedp.WaitVisible(`//button[@role="tab" and text()="OUT"]`),
		chromedp.Click(`//button[@role="tab" and text()="OUT"]`),
		chromedp.WaitVisible(`//table[@data-stream="OUT"]//td[text()="7"]`))
	screenshot(t, c.b, "2-live")
}
