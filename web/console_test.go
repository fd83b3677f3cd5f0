package web_test

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/generator"
	"github.com/riffle-sql/riffle/internal/busy"
	"github.com/riffle-sql/riffle/internal/lambdatest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/safedial"
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
	if err := savePage(t, ctx, name); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
}

func savePage(t *testing.T, ctx context.Context, name string) error {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	dir := filepath.Join("testout", t.Name())
	os.MkdirAll(dir, 0o755)
	return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
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
	return newSessionWith(t, server.Config{Credentials: creds, Apps: app.Options{TimeScale: scale, AllowPrivateURLs: true}}) // the tests' URLs are on loopback
}

// newSessionWith serves the console on a server of cfg (its input polled
// every 10 ms, so pages follow quickly), and opens a browser.
func newSessionWith(t *testing.T, cfg server.Config) *session {
	if *load > 0 {
		t.Cleanup(busy.Start(*load))
	}
	cfg.Apps.Poll = 10 * time.Millisecond
	srv := servertest.Start(t, cfg)
	c := &session{t: t, srv: srv, b: browser(t)}
	t.Cleanup(func() { // before the browser closes: what the page showed when the test failed, as failed.png
		if t.Failed() {
			savePage(t, c.b, "failed")
		}
	})
	return c
}

// load is how many goroutines spin during each test (internal/busy), to
// check that the tests hold on a loaded machine:
// go test ./web -args -busy=4
var load = flag.Int("busy", 0, "goroutines that keep cores busy during each test")

// do runs steps, failing the test if one fails.
func (c *session) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.b, guard) // a step that hangs fails alone
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
}

func (c *session) text(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.b, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
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

// labSteady is the lab's steady clicks and impressions, without its bursts.
func labSteady() generator.Scenario {
	steady := generator.Lab()
	steady.Senders, steady.Duration = steady.Senders[:2], 0
	return steady
}

// choose picks an option of a select as a user does, once the select
// offers it: the value, then the change event the page listens for.
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => {
		const s = document.querySelector(%q);
		if (!s || ![...s.options].some((o) => o.value === %q)) return false;
		if (s.value !== %q) { s.value = %q; s.dispatchEvent(new Event("change", { bubbles: true })); }
		return true;
	})()`, sel, value, value, value), chromedp.WithPollingTimeout(0))
}

// guard bounds a step or a wait on a condition, so that a bug fails the
// test instead of hanging it; no test passes or fails on how long a step
// takes.
const guard = 30 * time.Second

// waitJS waits until a JavaScript expression is truthy in the page.
func (c *session) waitJS(what, js string) {
	c.t.Helper()
	c.do(what, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(0))) // do's guard bounds it
}

// until waits for cond; cond's state says how far things got if it never
// holds.
func (c *session) until(what string, cond func() (bool, string)) {
	c.t.Helper()
	poll.Until(c.t, guard, func() (bool, string) {
		done, state := cond()
		return done, "waiting for " + what + ": " + state
	})
}

// evalJS evaluates an expression in the page, with its value.
func evalJS[T any](c *session, js string) T {
	c.t.Helper()
	v, err := chromedp.Run(c.b, chromedp.Evaluate[T](js))
	if err != nil {
		c.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// traffic sends generated records to a delivery stream until stop or the
// end of the test.
func (c *session) traffic(stream string, s generator.Scenario, speed float64) (stop func()) {
	c.t.Helper()
	target, err := generator.NewStreamTarget(context.Background(), generator.StreamConfig{Name: stream, Kind: "firehose", Endpoint: c.srv.URL,
		Credentials: generator.PlaceholderCredentials()})
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run, err := generator.Start(ctx, s, generator.Options{Target: target, Speed: speed, Forever: s.Duration > 0})
	if err != nil {
		cancel()
		c.t.Fatal(err)
	}
	stop = sync.OnceFunc(func() { cancel(); <-run.Done() })
	c.t.Cleanup(stop)
	return stop
}

// TestTheLabInTheConsole does the lab's steps in a real browser: create a
// delivery stream and an application, discover the schema from generator
// traffic, see a SQL error at its line, run the lab's SQL, watch rows come
// into CTRSTREAM and DESTINATION_SQL_STREAM, stop and delete.
func TestTheLabInTheConsole(t *testing.T) {
	ctx := context.Background()
	notify := lambdatest.New(t) // the lab's notifier, as a Lambda-compatible function the server knows
	fn, err := destination.NewHTTPFunction(notify.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newSessionWith(t, server.Config{Apps: app.Options{TimeScale: 20, Functions: map[string]destination.Function{"notify": fn}}})
	srv, b, run, text, eval := c.srv, c.b, c.do, c.text, c.eval
	run("create the delivery stream",
		chromedp.Navigate(srv.URL+"/#/streams"),
		chromedp.WaitVisible(chromedp.CSS(`#stream-name`)),
		chromedp.SendKeys(chromedp.CSS(`#stream-name`), "clicks"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Create a stream"] button`)),
		chromedp.WaitVisible(`//td[text()="clicks"]`))
	screenshot(t, b, "1-streams")

	// The lab's steady clicks and impressions, without its bursts, for the
	// schema discovery.
	stopSteady := c.traffic("clicks", labSteady(), 20)

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
	// The destination before the SQL, as the lab's notifier: picked from
	// the functions the server knows.
	run("connect DESTINATION_SQL_STREAM to the notifier",
		chromedp.Click(`#tab-destinations`),
		chromedp.WaitReady(chromedp.CSS(`#out-pick option[value="notify"]`)),
		choose(`#out-pick`, "notify"),
		chromedp.Click(`//button[text()="Connect"]`),
		chromedp.WaitVisible(`//table[@id="outputs"]//td[contains(., "function:notify")]`))
	if stream := text(`#outputs tbody td.name`); stream != "DESTINATION_SQL_STREAM" {
		t.Errorf("the output delivers %q", stream)
	}

	// A SQL error shows at its line and column.
	bad := "CREATE STREAM \"S\" (a INTEGER);\nCREATE PUMP \"P\" AS INSERT INTO \"S\" SELECT STREAM nope FROM \"SOURCE_SQL_STREAM_001\";"
	run("save bad SQL",
		chromedp.Click(`#tab-sql`),
		chromedp.SetValue(chromedp.CSS(`#sql`), bad),
		chromedp.Click(`#sql-save`),
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
		chromedp.Click(`#sql-save`),
		chromedp.WaitVisible(`//span[@id="app-status" and text()="RUNNING"]`),
		chromedp.WaitVisible(`//button[@role="tab" and text()="CTRSTREAM"]`))
	// The lab's scenario from the application's start, as in the lab: the
	// forest learns the steady click-through rate from 18 windows before the
	// first burst. (Bursts already in the forest's first windows would be
	// what it learns as usual: whether a burst scores as an anomaly then
	// depends on when the test got the application started, which a loaded
	// machine moves.)
	stopSteady()
	c.traffic("clicks", generator.Lab(), 20)
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
	// The anomalies reach the notifier: the Destinations tab counts them as
	// the function does.
	run("the Destinations tab", chromedp.Click(`#tab-destinations`), chromedp.WaitVisible(chromedp.CSS(`#outputs td.health`)))
	c.until("the anomalies delivered to the notifier", func() (bool, string) {
		got, _ := notify.Counts()
		shown := text(`#outputs td.delivered`)
		return got > 0 && shown == strconv.Itoa(got), fmt.Sprintf("the page says %s delivered; the notifier has %d", shown, got)
	})
	screenshot(t, b, "5b-delivered")
	run("the Monitoring tab", chromedp.Click(`#tab-monitoring`), chromedp.WaitVisible(`//p[@id="mon-note" and contains(., "As of")]`),
		chromedp.WaitVisible(`//table[@id="mon-streams"]//tr[@data-stream="CTRSTREAM"]`))
	if d := text("#mon-delivery .value"); d != "1 healthy" {
		t.Errorf("Monitoring says the delivery is %q", d)
	}
	screenshot(t, b, "5c-monitoring")
	run("back to the live rows", chromedp.Click(`#tab-analytics`), chromedp.WaitVisible(`//button[@role="tab" and text()="DESTINATION_SQL_STREAM"]`))
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
	if _, err := c.srv.Log.Append(ctx, "s", 0, []streamlog.Record{{Data: []byte("kept"), Arrival: time.Now()}}); err != nil {
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
		chromedp.WaitVisible(`//div[@id="stream-name-error" and contains(text(), "exists")]`))
	// The service's own message, naming the stream.
	if msg, want := c.text("#stream-name-error"), "Firehose s under accountId 000000000000 already exists"; msg != want {
		t.Errorf("duplicate stream: %q, want %q", msg, want)
	}
	if recs, _, err := c.srv.Log.Read(ctx, "s", 0, streamlog.Seq{}, 10); err != nil || len(recs) != 1 {
		t.Errorf("after the refused duplicate, stream s holds %d records (%v), want its one record", len(recs), err)
	}

	c.do("create an application",
		chromedp.Navigate(c.srv.URL+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`#app-name`)),
		chromedp.SendKeys(chromedp.CSS(`#app-name`), "a"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Create an application"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#source-stream`)))
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
		chromedp.Navigate(c.srv.URL+"/#/app/a/destinations"),
		chromedp.WaitVisible(chromedp.CSS(`#out-target`)),
		chromedp.SendKeys(chromedp.CSS(`#out-target`), dead),
		chromedp.Click(chromedp.CSS(`form[aria-label="Connect a destination"] button`)),
		chromedp.WaitVisible(`//div[@id="out-target-error" and string-length(text()) > 0]`))
	if msg := c.text("#out-target-error"); !strings.Contains(msg, safedial.ErrUnusable.Error()) { // whatever the cause: it is in the server's log
		t.Errorf("unreachable destination: %q", msg)
	}
	c.do("bad SQL",
		chromedp.Click(`#tab-sql`),
		chromedp.SetValue(chromedp.CSS(`#sql`), "CREATE STREAM \"S\" (a INTEGER);\nCREATE PUMP nope;"),
		chromedp.Click(`#sql-save`),
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

// TestTheLiveViewKeepsUpWithAThousandRowsASecond: while rows come at
// 1,000 a second, the page follows them (it shows each row the
// application had produced a moment before, however far it got), holding
// the newest 200 in order; Pause freezes the table while rows still come,
// Resume catches up; once the sender stops, the page has counted every row
// the application produced, exactly, and shows the last 200. Every wait is
// on a condition: a loaded machine makes the test slower, not wrong.
func TestTheLiveViewKeepsUpWithAThousandRowsASecond(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1)
	if err := c.srv.Log.Create(ctx, "fast", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	schema := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: []record.RecordColumn{
		{Name: "N", SqlType: "INTEGER", Mapping: "$.n"}}}
	def := app.Application{Name: "fast", Code: `CREATE STREAM "OUT" (N INTEGER);
CREATE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM "N" FROM "SOURCE_SQL_STREAM_001";`,
		Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "fast", Kind: "firehose", Schema: schema}}}
	if _, err := c.srv.Apps.Create(ctx, def); err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Apps.Start(ctx, "fast", app.Now); err != nil {
		t.Fatal(err)
	}
	// Row n is the application's n-th (from 0): the rows it produced are
	// 0 to read-1, in order.
	read := func() int {
		t.Helper()
		n, err := c.srv.Apps.RecordsRead("fast")
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	sender := c.numberedSender("fast", 1000)
	if err := sender.send(1); err != nil { // row 0: the page is following once it shows it
		t.Fatal(err)
	}
	c.do("follow OUT",
		chromedp.Navigate(c.srv.URL+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`#app-name`)),
		// Count what each tap delivers to the page, drawn or not, and note
		// at each redraw of OUT's table its newest row and how many rows
		// the page had then (the observer runs as the redraw ends, before
		// any further row comes in).
		chromedp.Evaluate[chromedp.Void](`window.taps = [];
			const ES = window.EventSource;
			window.EventSource = class extends ES {
				constructor(u) { super(u); const tap = { url: String(u), received: 0 }; window.taps.push(tap); this.addEventListener("message", () => tap.received++); }
			};
			window.draws = [];
			new MutationObserver(() => {
				const first = document.querySelector('table.rows[data-stream="OUT"] tbody tr');
				const tap = window.taps.filter((t) => t.url.includes("/streams/OUT")).at(-1);
				if (!first || !tap) return;
				const newest = Number(first.cells[1].textContent);
				if (!window.draws.length || window.draws.at(-1)[0] !== newest) window.draws.push([newest, tap.received]);
			}).observe(document.body, { childList: true, subtree: true });
			location.hash = "#/app/fast"`),
		chromedp.WaitVisible(`//button[@role="tab" and text()="OUT"]`),
		chromedp.Click(`//button[@role="tab" and text()="OUT"]`),
		chromedp.WaitVisible(`//table[@data-stream="OUT"]//td[text()="0"]`))
	const shownJS = `[...document.querySelectorAll('table.rows[data-stream="OUT"] tbody tr')].map((tr) => Number(tr.cells[1].textContent))`
	const receivedJS = `window.taps.filter((t) => t.url.includes("/streams/OUT")).at(-1).received`
	shown := func() []int { return evalJS[[]int](c, shownJS) }
	newest := func() int {
		if rows := shown(); len(rows) > 0 {
			return rows[0]
		}
		return -1
	}
	// inOrder checks that the table holds the newest rows it shows, newest
	// first, none missing, 200 once there are as many.
	inOrder := func(when string) {
		t.Helper()
		rows := shown()
		want := min(rows[0]+1, 200)
		if len(rows) != want {
			t.Errorf("%s: the table holds %d rows, want %d", when, len(rows), want)
		}
		for i, n := range rows {
			if n != rows[0]-i {
				t.Errorf("%s: row %d of the table is %d, want %d (newest first, none missing): rows %v", when, i, n, rows[0]-i, rows[max(0, i-2):min(len(rows), i+3)])
				break
			}
		}
	}

	sender.start()
	maxLag := 0 // rows produced and not yet shown, at the samples: for the log
	// The page follows a moving stream: each time the application has
	// produced another 1,000 rows, the page comes to show the newest of
	// them while the sender goes on.
	for target := 1000; target <= 3000; target += 1000 {
		c.until(fmt.Sprintf("the application produced %d rows", target), func() (bool, string) {
			n := read()
			return n >= target, fmt.Sprintf("%d rows produced", n)
		})
		produced := read() - 1
		c.until(fmt.Sprintf("the page shows row %d, the newest produced a moment before", produced), func() (bool, string) {
			n := newest()
			maxLag = max(maxLag, read()-1-n)
			return n >= produced, fmt.Sprintf("the newest row shown is %d; %d rows produced; the page says %q", n, read(), c.text("#live-count"))
		})
		inOrder(fmt.Sprintf("at row %d", produced))
	}

	c.do("pause", chromedp.Click(`//button[text()="Pause"]`), chromedp.WaitVisible(`//button[@aria-pressed="true" and text()="Resume"]`))
	frozen := shown()
	received := evalJS[int](c, receivedJS)
	c.until("500 more rows at the paused page", func() (bool, string) {
		n := evalJS[int](c, receivedJS)
		return n >= received+500, fmt.Sprintf("%d rows received since the pause", n-received)
	})
	if now := shown(); !slices.Equal(now, frozen) {
		t.Errorf("paused, the table moved from rows %d…%d to %d…%d", frozen[0], frozen[len(frozen)-1], now[0], now[len(now)-1])
	}
	screenshot(t, c.b, "1-paused")
	c.do("resume", chromedp.Click(`//button[text()="Resume"]`), chromedp.WaitVisible(`//button[@aria-pressed="false" and text()="Pause"]`))
	produced := read() - 1
	c.until("the resumed page catches up", func() (bool, string) {
		n := newest()
		return n >= produced, fmt.Sprintf("the newest row shown is %d, want %d or later", n, produced)
	})
	inOrder("after resuming")

	// The sender stops: the page counts exactly the rows produced.
	total := sender.stop()
	c.until("the application read every record", func() (bool, string) {
		n := read()
		return n == total, fmt.Sprintf("%d of %d read", n, total)
	})
	want := fmt.Sprintf("%d rows since opened; showing the newest 200", total)
	c.until("the page counts every row", func() (bool, string) {
		got := c.text("#live-count")
		return got == want, fmt.Sprintf("the page says %q, want %q", got, want)
	})
	if n := newest(); n != total-1 {
		t.Errorf("the newest row shown is %d, want %d", n, total-1)
	}
	inOrder("at the end")
	// Every redraw showed the newest row the page had: it never drew a
	// stale view, nor missed a row (row n is the page's (n+1)-th).
	draws := evalJS[[][2]int](c, `window.draws`)
	for _, d := range draws {
		if d[0] != d[1]-1 {
			t.Errorf("a redraw showed row %d as the newest with %d rows received", d[0], d[1])
			break
		}
	}
	t.Logf("%d rows, %d redraws, the page at most %d rows behind the application when sampled", total, len(draws), maxLag)
}

// numberedSender sends records {"n": 0}, {"n": 1}… to a delivery stream.
type numberedSender struct {
	c      *session
	stream string
	rate   int
	next   int // the next record's n; owned by send's caller
	cancel context.CancelFunc
	done   chan struct{}
}

func (c *session) numberedSender(stream string, rate int) *numberedSender {
	return &numberedSender{c: c, stream: stream, rate: rate}
}

// send stores the next n records at once.
func (s *numberedSender) send(n int) error {
	recs := make([]streamlog.Record, n)
	for i := range recs {
		recs[i] = streamlog.Record{Data: fmt.Appendf(nil, `{"n": %d}`, s.next+i), Arrival: time.Now()}
	}
	if _, err := s.c.srv.Log.Append(context.Background(), s.stream, 0, recs); err != nil {
		return fmt.Errorf("append to %s: %w", s.stream, err)
	}
	s.next += n
	return nil
}

// start sends at rate records a second until stop (or the test's end):
// every 10 ms, those due by then, so a sender held up catches up.
func (s *numberedSender) start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	s.c.t.Cleanup(func() { s.stop() })
	go func() {
		defer close(s.done)
		tick := time.NewTicker(10 * time.Millisecond) // pacing the sender, not waiting on the system
		defer tick.Stop()
		begin, from := time.Now(), s.next
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			due := from + int(time.Since(begin).Seconds()*float64(s.rate))
			if due <= s.next {
				continue
			}
			if err := s.send(due - s.next); err != nil {
				s.c.t.Errorf("the sender stopped: %v", err)
				return
			}
		}
	}()
}

// stop ends the sender and says how many records it sent in all.
func (s *numberedSender) stop() int {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
	return s.next
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
		chromedp.WaitVisible(`//p[@role="alert" and contains(., "Wrong access key ID or secret")]`))
	screenshot(t, c.b, "1-refused")
	c.do("the right one signs in",
		chromedp.SetValue(chromedp.CSS(`#login-id`), "AKIDCONSOLE"),
		chromedp.SetValue(chromedp.CSS(`#login-secret`), "s3cret"),
		chromedp.Click(`//button[text()="Sign in"]`),
		chromedp.WaitVisible(chromedp.CSS(`#app-name`)))
	c.do("create an application",
		chromedp.SendKeys(chromedp.CSS(`#app-name`), "signed"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Create an application"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#source-stream`)))
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
