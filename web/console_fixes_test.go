package web_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/streamlog"
)

// shots saves the page at 1280 and at 400 pixels wide, then goes back to
// 1280.
func (c *session) shots(name string) {
	c.t.Helper()
	screenshot(c.t, c.b, name+"-1280")
	c.do("a narrow screen", chromedp.EmulateViewport(400, 800))
	screenshot(c.t, c.b, name+"-400")
	c.do("a desktop screen", chromedp.EmulateViewport(1280, 800))
}

// TestSignInSaysWhatIsWrongAndSignsOut: the sign-in page shows no stray
// text; a wrong secret keeps the key ID and says in words what is wrong;
// signed in, the header says as whom and signs out.
func TestSignInSaysWhatIsWrongAndSignsOut(t *testing.T) {
	c := newSession(t, 1, map[string]string{"AKID": "s3cret"})
	c.do("the sign-in page", chromedp.Navigate(c.srv.URL+"/#/"), chromedp.WaitVisible(chromedp.CSS(`#login-id`)))
	if txt := c.text("main"); strings.Contains(txt, "null") || strings.Contains(txt, "undefined") {
		t.Errorf("the sign-in page reads %q", txt)
	}
	if hidden := evalJS[bool](c, `document.getElementById("user").hidden`); !hidden {
		t.Errorf("before signing in the header says %q", c.text("#user"))
	}
	c.do("a wrong secret",
		chromedp.SendKeys(chromedp.CSS(`#login-id`), "AKID"),
		chromedp.SendKeys(chromedp.CSS(`#login-secret`), "wrong"),
		chromedp.Click(`//button[text()="Sign in"]`),
		chromedp.WaitVisible(chromedp.CSS(`#login-refused`)))
	if msg := c.text("#login-refused"); !strings.HasPrefix(msg, "Wrong access key ID or secret") || strings.Contains(msg, "signature") {
		t.Errorf("a wrong secret says %q", msg)
	}
	if id := evalJS[string](c, `document.getElementById("login-id").value`); id != "AKID" {
		t.Errorf("after a wrong secret the key ID field holds %q, want AKID", id)
	}
	c.shots("1-refused")
	c.do("the right secret",
		chromedp.SendKeys(chromedp.CSS(`#login-secret`), "s3cret"),
		chromedp.Click(`//button[text()="Sign in"]`),
		chromedp.WaitVisible(chromedp.CSS(`#app-name`)),
		chromedp.WaitVisible(chromedp.CSS(`#user`)))
	if who := c.text("#user"); !strings.Contains(who, "Signed in as AKID") {
		t.Errorf("the header says %q", who)
	}
	c.shots("2-signed-in")
	c.do("sign out",
		chromedp.Click(chromedp.CSS(`#sign-out`)),
		chromedp.WaitVisible(chromedp.CSS(`#login-id`)))
	if got := evalJS[[]any](c, `[sessionStorage.getItem("riffle-credentials"), document.getElementById("user").hidden, document.getElementById("login-id").value, !!document.getElementById("login-refused")]`); got[0] != nil || got[1] != true || got[2] != "" || got[3] != false {
		t.Errorf("after signing out: stored key %v, header hidden %v, key ID field %q, refusal shown %v", got[0], got[1], got[2], got[3])
	}
}

// TestWithoutAuthNoOneIsSignedIn: a server without --auth asks for no key
// and the header names no one.
func TestWithoutAuthNoOneIsSignedIn(t *testing.T) {
	c := newSession(t, 1)
	c.do("the console", chromedp.Navigate(c.srv.URL+"/#/"), chromedp.WaitVisible(chromedp.CSS(`#app-name`)))
	if hidden := evalJS[bool](c, `document.getElementById("user").hidden`); !hidden {
		t.Errorf("without --auth the header says %q", c.text("#user"))
	}
}

// TestTheErrorPageLeadsBack: a page that failed (an application that is
// not there) links back to the applications.
func TestTheErrorPageLeadsBack(t *testing.T) {
	c := newSession(t, 1)
	c.do("an application that is not there",
		chromedp.Navigate(c.srv.URL+"/#/app/nope"),
		chromedp.WaitVisible(`//h1[text()="Something went wrong"]`))
	c.shots("1-error")
	c.do("back", chromedp.Click(chromedp.CSS(`#back`)), chromedp.WaitVisible(chromedp.CSS(`#app-name`)))
}

// TestTheStreamFormAsksShardsOfDataStreamsOnlyAndForgetsOldErrors: the
// Shards field shows for a data stream only; a field's error goes when its
// value changes or the form is sent again.
func TestTheStreamFormAsksShardsOfDataStreamsOnlyAndForgetsOldErrors(t *testing.T) {
	c := newSession(t, 1)
	if err := c.srv.Log.Create(context.Background(), "s", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	shards := func() bool { return evalJS[bool](c, `document.getElementById("stream-shards").offsetParent !== null`) }
	c.do("the streams page", chromedp.Navigate(c.srv.URL+"/#/streams"), chromedp.WaitVisible(chromedp.CSS(`#stream-name`)))
	if shards() {
		t.Errorf("a delivery stream's form shows a Shards field")
	}
	c.do("a data stream", chromedp.SetValue(chromedp.CSS(`#stream-kind`), "kinesis"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("stream-kind").dispatchEvent(new Event("change"))`))
	if !shards() {
		t.Errorf("a data stream's form shows no Shards field")
	}
	c.do("back to a delivery stream", chromedp.SetValue(chromedp.CSS(`#stream-kind`), "firehose"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("stream-kind").dispatchEvent(new Event("change"))`))
	if shards() {
		t.Errorf("back to a delivery stream, the form still shows Shards")
	}
	c.do("an empty name", chromedp.Click(chromedp.CSS(`form[aria-label="Create a stream"] button`)),
		chromedp.WaitVisible(`//div[@id="stream-name-error" and contains(., "needs a name")]`))
	c.do("typing a name", chromedp.SendKeys(chromedp.CSS(`#stream-name`), "s"))
	if msg := c.text("#stream-name-error"); msg != "" {
		t.Errorf("after typing a name the field still says %q", msg)
	}
	c.do("a name that exists", chromedp.Click(chromedp.CSS(`form[aria-label="Create a stream"] button`)),
		chromedp.WaitVisible(`//div[@id="stream-name-error" and contains(., "exists")]`))
	c.shots("1-exists")
	// A new submit clears the old message before its own answer comes.
	c.eval(`(` + heldFetch + `)("CreateDeliveryStream", ""); []`)
	c.do("another name, sent", chromedp.SetValue(chromedp.CSS(`#stream-name`), "t"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Create a stream"] button`)))
	c.waitJS("the create on its way", `window.held >= 1`)
	if msg := c.text("#stream-name-error"); msg != "" {
		t.Errorf("while the new name is being created the field still says %q", msg)
	}
	c.do("created", chromedp.Evaluate[chromedp.Void](`window.release()`), chromedp.WaitVisible(`//td[text()="t"]`))
}

// TestSwitchingLiveTabsStartsAfresh: a tab shows its own stream only (no
// rows, count or chart of the previous one), and a stream without rows
// says why.
func TestSwitchingLiveTabsStartsAfresh(t *testing.T) {
	c := newSession(t, 1)
	liveApp(t, c, "live", "OUT")
	c.do("OUT's rows",
		chromedp.Navigate(c.srv.URL+"/#/app/live"),
		chromedp.WaitVisible(`//button[@role="tab" and text()="OUT"]`),
		chromedp.Click(`//button[@role="tab" and text()="OUT"]`),
		chromedp.WaitVisible(`//table[@data-stream="OUT"]//td[text()="7"]`),
		chromedp.WaitVisible(chromedp.CSS(`#live-chart svg`)))
	if n := c.text("#live-count"); !strings.HasPrefix(n, "1 rows") {
		t.Errorf("OUT's count says %q", n)
	}
	c.do("error_stream, which has no rows",
		chromedp.Click(`//button[@role="tab" and text()="error_stream"]`),
		chromedp.WaitVisible(`//p[@id="live-empty" and starts-with(., "No rows yet")]`))
	got := evalJS[[]any](c, `[document.querySelectorAll("table.rows tr").length, document.getElementById("live-count").textContent, document.getElementById("live-chart").offsetParent !== null, document.querySelector("table.rows").dataset.stream]`)
	if got[0] != float64(0) || got[1] != "" || got[2] != false || got[3] != "error_stream" {
		t.Errorf("on error_stream's tab: %v rows, count %q, chart shown %v, table of %v", got[0], got[1], got[2], got[3])
	}
	c.shots("1-empty")
	c.do("back to OUT",
		chromedp.Click(`//button[@role="tab" and text()="OUT"]`),
		chromedp.WaitVisible(`//table[@data-stream="OUT"]//td[text()="7"]`))
	if shown := evalJS[bool](c, `document.getElementById("live-empty").offsetParent !== null`); shown {
		t.Errorf("OUT's tab with rows still says %q", c.text("#live-empty"))
	}
}

// TestAWindowedStreamSaysWhenItsRowsCome: before its first window closes,
// a stream of the lab's SQL (10-second windows) says rows come every 10
// seconds.
func TestAWindowedStreamSaysWhenItsRowsCome(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1)
	sql, err := os.ReadFile("../runner/testdata/bench/clickstream.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Log.Create(ctx, "clicks", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	schema := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: []record.RecordColumn{
		{Name: "browseraction", SqlType: "VARCHAR(16)", Mapping: "$.browseraction"}, {Name: "site", SqlType: "VARCHAR(64)", Mapping: "$.site"}}}
	if _, err := c.srv.Apps.Create(ctx, app.Application{Name: "lab", Code: string(sql),
		Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: schema}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Apps.Start(ctx, "lab", app.Now); err != nil {
		t.Fatal(err)
	}
	c.do("CTRSTREAM, before any traffic",
		chromedp.Navigate(c.srv.URL+"/#/app/lab"),
		chromedp.WaitVisible(`//button[@role="tab" and text()="CTRSTREAM"]`),
		chromedp.Click(`//button[@role="tab" and text()="CTRSTREAM"]`),
		chromedp.WaitVisible(`//p[@id="live-empty" and contains(., "windows close")]`))
	if msg, want := c.text("#live-empty"), "No rows yet: rows appear as windows close, every 10s for this SQL."; msg != want {
		t.Errorf("CTRSTREAM's empty tab says %q, want %q", msg, want)
	}
}

// TestAServerThatStoppedIsSaidInWords: when riffle serve stops answering,
// the page says so in words with its address, shows no status as RUNNING
// any more, and an action says the same instead of "Failed to fetch".
func TestAServerThatStoppedIsSaidInWords(t *testing.T) {
	c := newSession(t, 1)
	liveApp(t, c, "live", "OUT")
	c.do("the running application, followed live",
		chromedp.Navigate(c.srv.URL+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`#app-name`)),
		chromedp.Evaluate[chromedp.Void](`window.opened = [];
			const ES = window.EventSource;
			window.EventSource = class extends ES { constructor(u) { super(u); window.opened.push(this); } };
			location.hash = "#/app/live"`),
		chromedp.WaitVisible(`//span[@id="app-status" and text()="RUNNING"]`),
		chromedp.WaitVisible(`//button[@role="tab" and text()="OUT"]`),
		chromedp.Click(`//button[@role="tab" and text()="OUT"]`),
		chromedp.WaitVisible(`//table[@data-stream="OUT"]//td[text()="7"]`))
	// The page lets go of its tap, so that the server can close (it waits
	// for the requests it serves); the page still claims RUNNING.
	c.eval(`window.opened.forEach((s) => s.close()); []`)
	if err := c.srv.Close(); err != nil {
		t.Fatal(err)
	}
	c.do("the page notices", chromedp.WaitVisible(chromedp.CSS(`#offline`)))
	want := "Cannot reach riffle serve at " + c.srv.URL
	if msg := c.text("#offline"); !strings.HasPrefix(msg, want) {
		t.Errorf("the banner says %q, want it to start %q", msg, want)
	}
	if st := c.text("#app-status"); st != "UNKNOWN" {
		t.Errorf("with the server gone the status reads %q", st)
	}
	c.shots("1-offline")
	c.do("stop, with the server gone",
		chromedp.Click(`//button[text()="Stop"]`),
		chromedp.WaitVisible(`//div[@id="action-error" and string-length(text()) > 0]`))
	if msg := c.text("#action-error"); !strings.HasPrefix(msg, want) || strings.Contains(msg, "Failed to fetch") {
		t.Errorf("Stop says %q", msg)
	}
}

// TestDarkThemeCurrentPageAndFavicon: the page follows the system's dark
// setting, marks in the navigation where the user is, and has an icon.
func TestDarkThemeCurrentPageAndFavicon(t *testing.T) {
	c := newSession(t, 1)
	liveApp(t, c, "live", "OUT")
	colors := func() []string {
		return c.eval(`[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color, getComputedStyle(document.querySelector("section")).backgroundColor]`)
	}
	c.do("the streams page", chromedp.Navigate(c.srv.URL+"/#/streams"), chromedp.WaitVisible(chromedp.CSS(`#stream-name`)))
	light := colors()
	if light[0] != "rgb(255, 255, 255)" {
		t.Errorf("in the light setting the page's background is %s", light[0])
	}
	current := func() []string {
		return c.eval(`[...document.querySelectorAll('nav a[aria-current="page"]')].map((a) => a.textContent)`)
	}
	if got := current(); len(got) != 1 || got[0] != "Streams" {
		t.Errorf("on the streams page the navigation marks %v", got)
	}
	if _, err := chromedp.Call(c.b, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatalf("the system's dark setting: %v", err)
	}
	c.do("an application's page, dark",
		chromedp.Navigate(c.srv.URL+"/#/app/live"),
		chromedp.WaitVisible(`//button[@role="tab" and text()="OUT"]`),
		chromedp.Click(`//button[@role="tab" and text()="OUT"]`),
		chromedp.WaitVisible(`//table[@data-stream="OUT"]//td[text()="7"]`))
	dark := colors()
	if dark[0] != "rgb(13, 17, 23)" || dark[1] == light[1] || dark[2] != dark[0] {
		t.Errorf("in the dark setting: background %s, text %s, sections %s (light: %v)", dark[0], dark[1], dark[2], light)
	}
	if got := current(); len(got) != 1 || got[0] != "Applications" {
		t.Errorf("on an application's page the navigation marks %v", got)
	}
	c.shots("1-dark-application")
	c.do("the generator, dark", chromedp.Navigate(c.srv.URL+"/#/generator"), chromedp.WaitVisible(chromedp.CSS(`#gen-template`)))
	if got := current(); len(got) != 1 || got[0] != "Generator" {
		t.Errorf("on the generator page the navigation marks %v", got)
	}
	c.shots("2-dark-generator")
	icon := evalAsync[[]any](c, `(async () => {
		const link = document.querySelector('link[rel="icon"]');
		if (!link) return ["", 0];
		const img = new Image();
		img.src = link.href;
		await img.decode();
		return [link.type, img.naturalWidth];
	})()`)
	if icon[0] != "image/svg+xml" || icon[1].(float64) <= 0 {
		t.Errorf("the page's icon: type %v, width %v", icon[0], icon[1])
	}
}

// TestTheLiveTableRoundsNumbers: a DOUBLE's float noise does not reach the
// table (230, not 229.99999999999997); integers stay whole, and a rounded
// cell keeps the exact value in its title.
func TestTheLiveTableRoundsNumbers(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1)
	if err := c.srv.Log.Create(ctx, "in", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	schema := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: []record.RecordColumn{
		{Name: "X", SqlType: "DOUBLE", Mapping: "$.x"}, {Name: "N", SqlType: "BIGINT", Mapping: "$.n"}}}
	if _, err := c.srv.Apps.Create(ctx, app.Application{Name: "nums", Code: `CREATE STREAM "OUT" (X DOUBLE, N BIGINT);
CREATE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM "X", "N" FROM "SOURCE_SQL_STREAM_001";`,
		Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "in", Kind: "firehose", Schema: schema}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Apps.Start(ctx, "nums", app.Now); err != nil {
		t.Fatal(err)
	}
	var recs []streamlog.Record
	for _, r := range []string{`{"x": 229.99999999999997, "n": 1}`, `{"x": 0.12345678912, "n": 2}`, `{"x": 1.5, "n": 1234567890}`} {
		recs = append(recs, streamlog.Record{Data: []byte(r), Arrival: time.Now()})
	}
	if _, err := c.srv.Log.Append(ctx, "in", 0, recs); err != nil {
		t.Fatal(err)
	}
	c.do("OUT's rows",
		chromedp.Navigate(c.srv.URL+"/#/app/nums"),
		chromedp.WaitVisible(`//button[@role="tab" and text()="OUT"]`),
		chromedp.Click(`//button[@role="tab" and text()="OUT"]`),
		chromedp.WaitVisible(`//table[@data-stream="OUT"]//td[text()="1234567890"]`))
	got := c.eval(`[...document.querySelectorAll('table.rows tbody tr')].reverse().map((tr) => tr.cells[1].textContent + " " + tr.cells[2].textContent + " (" + (tr.cells[1].title || "-") + ")")`)
	want := []string{"230 1 (229.99999999999997)", "0.123457 2 (0.12345678912)", "1.5 1234567890 (-)"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("rows read %q, want %q", got, want)
	}
	c.shots("1-rounded")
}
