package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riffle-sql/riffle/streamlog"
)

// toasts reads the feedback region: each toast's text, "!" first for a
// failure (role=alert).
func (c *session) toasts() []string {
	c.t.Helper()
	return c.eval(`[...document.querySelectorAll("#toasts .toast")].map((t) => (t.getAttribute("role") === "alert" ? "!" : "") + t.querySelector("span").textContent)`)
}

// TestEveryActionSaysHowItWent: each action (create, save, start, stop,
// connect, remove, delete) says so in a live region screen readers
// announce; a success goes by itself, a failure stays until dismissed, and
// a server that stopped answering is said in words there too.
func TestEveryActionSaysHowItWent(t *testing.T) {
	c := newSession(t, 1)
	for _, name := range []string{"in", "out"} {
		if err := c.srv.Log.Create(context.Background(), name, "firehose", 1); err != nil {
			t.Fatal(err)
		}
	}
	toast := func(what, text string) {
		c.t.Helper()
		c.do(what, chromedp.WaitVisible(`//div[@id="toasts"]/div[contains(@class, "toast")]/span[contains(., "`+text+`")]`))
	}
	gone := func(what, text string) {
		c.t.Helper()
		c.waitJS(what, `![...document.querySelectorAll("#toasts .toast")].some((t) => t.textContent.includes(`+"`"+text+"`"+`))`)
	}
	c.do("the applications page", chromedp.Navigate(c.srv.URL+"/#/"), chromedp.WaitVisible(chromedp.CSS(`#app-name`)))
	if region := c.eval(`[document.getElementById("toasts").getAttribute("role"), document.getElementById("toasts").getAttribute("aria-live")]`); region[0] != "status" || region[1] != "polite" {
		t.Errorf("the feedback region is role %q, aria-live %q", region[0], region[1])
	}
	c.do("create an application", chromedp.SendKeys(chromedp.CSS(`#app-name`), "fb"), chromedp.Click(`//button[text()="Create application"]`))
	toast("created", "Created the application fb.")
	c.shots("1-created")
	gone("the success toast goes by itself", "Created the application fb.")

	c.do("save SQL with an error", chromedp.Click(`#tab-sql`), chromedp.WaitVisible(chromedp.CSS(`#sql`)),
		chromedp.SetValue(chromedp.CSS(`#sql`), `CREATE STREAM "OUT" (N INTEGER);
CREATE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM "N" FROM "SOURCE_SQL_STREAM_001"`+"\nWHERE"),
		chromedp.Click(`//button[text()="Save"]`))
	toast("not saved", "Not saved")
	c.do("dismiss it", chromedp.Click(`//div[@id="toasts"]/div[@role="alert"]/button[@aria-label="Dismiss"]`))
	gone("dismissed", "Not saved")

	c.do("save the SQL", chromedp.SetValue(chromedp.CSS(`#sql`), `CREATE STREAM "OUT" (N INTEGER);
CREATE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM "N" FROM "SOURCE_SQL_STREAM_001";`),
		chromedp.Click(`//button[text()="Save"]`))
	toast("saved", "Saved the SQL of fb.")

	c.do("discover and connect the source",
		chromedp.Click(`#tab-source`),
		chromedp.WaitReady(chromedp.CSS(`#source-stream option[value="firehose:in"]`)),
		chromedp.SetValue(chromedp.CSS(`#source-stream`), "firehose:in"))
	// Discovery needs records: one, put in the stream.
	if _, err := c.srv.Log.Append(context.Background(), "in", 0, []streamlog.Record{{Data: []byte(`{"N": 1}`), Arrival: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	c.do("discover", chromedp.Click(`//button[text()="Discover schema"]`), chromedp.WaitVisible(`//button[text()="Connect source"]`),
		chromedp.Click(`//button[text()="Connect source"]`))
	toast("connected the source", "Connected in as the source of fb.")

	c.do("connect a destination",
		chromedp.Click(`#tab-destinations`),
		chromedp.WaitReady(chromedp.CSS(`#out-stream option[value="OUT"]`)),
		choose(`#out-stream`, "OUT"),
		choose(`#out-kind`, "firehose"),
		chromedp.WaitReady(chromedp.CSS(`#out-pick option[value="out"]`)),
		choose(`#out-pick`, "out"),
		chromedp.Click(`//button[text()="Connect"]`))
	toast("connected an output", "Connected OUT to out.")

	c.do("start", chromedp.WaitVisible(`//button[text()="Start"]`), chromedp.Click(`//button[text()="Start"]`))
	toast("started", "Started fb from NOW.")
	c.do("stop", chromedp.WaitVisible(`//button[text()="Stop"]`), chromedp.Click(`//button[text()="Stop"]`))
	toast("stopped", "Stopped fb.")
	c.do("remove the output", chromedp.WaitVisible(`//span[@id="app-status" and text()="READY"]`), chromedp.Click(`//td[text()="OUT"]/..//button[text()="Remove"]`))
	toast("output removed", "Removed the output of OUT.")
	c.waitJS("the output gone", `![...document.querySelectorAll("td")].some((td) => td.textContent === "OUT")`)
	c.do("delete", chromedp.Click(`//button[text()="Delete"]`))
	toast("deleted", "Deleted the application fb.")

	c.do("the streams page", chromedp.Navigate(c.srv.URL+"/#/streams"), chromedp.WaitVisible(chromedp.CSS(`#stream-name`)),
		chromedp.SendKeys(chromedp.CSS(`#stream-name`), "in"), chromedp.Click(`//button[text()="Create stream"]`))
	toast("a stream that exists", "Could not create the stream in")
	c.do("delete a stream", chromedp.Click(`//td[text()="in"]/..//button[text()="Delete"]`))
	toast("stream deleted", "Deleted the stream in.")

	// With the server gone, an action fails in words, and that stays.
	if err := c.srv.Close(); err != nil {
		t.Fatal(err)
	}
	c.do("create a stream, with the server gone", chromedp.SetValue(chromedp.CSS(`#stream-name`), "later"),
		chromedp.Click(`//button[text()="Create stream"]`))
	toast("unreachable", "Could not create the stream later: Cannot reach riffle serve at "+c.srv.URL)
	c.shots("2-unreachable")
	for _, got := range c.toasts() {
		if strings.Contains(got, "Failed to fetch") {
			t.Errorf("a toast says %q", got)
		}
	}
	if got := c.toasts(); len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "!Could not create the stream later") {
		t.Errorf("the toasts read %q; want the failure last, as an alert", got)
	}
}
