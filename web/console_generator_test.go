package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/riffle-sql/riffle/generator"
	"github.com/riffle-sql/riffle/streamlog"
)

// TestTheLabPresetsRunToCompletion: the generator page offers the lab's
// senders (those of riffle gen --scenario lab) as presets; the lab's five
// senders, given a few records each, run to completion and each says
// "done" with its totals; a stopped sender keeps its totals; the page says
// plainly that senders did not survive a restart of the server; and it
// fits a 400-pixel screen.
func TestTheLabPresetsRunToCompletion(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1)
	if err := c.srv.Log.Create(ctx, "clicks", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	c.do("the generator page",
		chromedp.Navigate(c.srv.URL+"/#/generator"),
		chromedp.WaitReady(chromedp.CSS(`#gen-stream option[value="clicks"]`)))
	form := func() []string {
		return c.eval(`["gen-name", "gen-template", "gen-rate", "gen-seconds", "gen-start", "gen-every", "gen-until"].map((id) => document.getElementById(id).value)`)
	}
	c.do("the Impression preset", chromedp.Click(`//button[text()="Impression"]`))
	if got, want := form(), []string{"impressions", generator.ImpressionTemplate, "1", "0", "0", "0", "480"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the Impression preset fills %q, want %q", got, want)
	}
	c.do("the Click preset", chromedp.Click(`//button[text()="Click"]`))
	if got := form(); got[0] != "clicks" || got[1] != generator.ClickTemplate {
		t.Errorf("the Click preset fills %q", got)
	}
	c.do("the Burst preset", chromedp.Click(`//button[text()="Burst"]`))
	if got, want := form(), []string{"burst-1", generator.ClickTemplate, "1", "20", "180", "120", "480"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the Burst preset fills %q, want %q", got, want)
	}

	c.do("the lab's five senders, three records each",
		chromedp.SetValue(chromedp.CSS(`#gen-stream`), "clicks"),
		chromedp.SetValue(chromedp.CSS(`#gen-lab-count`), "3"),
		chromedp.Click(`//button[text()="Start the lab's 5 senders"]`))
	names := []string{"impressions", "clicks", "burst-1", "burst-2", "burst-3"}
	for _, name := range names {
		c.do(name+" done", chromedp.WaitVisible(`//tr[@data-sender="`+name+`"]/td[contains(@class, "state") and text()="done"]`))
	}
	for _, name := range names {
		got := c.eval(`[...document.querySelectorAll('tr[data-sender="` + name + `"] td')].slice(3, 7).map((td) => td.textContent)`)
		if strings.Join(got, " ") != "3 3 0 done" {
			t.Errorf("%s reads sent, acknowledged, failed, state = %q, want 3 3 0 done", name, got)
		}
	}
	recs, _, err := c.srv.Log.Read(ctx, "clicks", 0, streamlog.Seq{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range recs {
		kinds[strings.TrimSpace(string(r.Data))]++
	}
	if kinds[generator.ImpressionTemplate] != 3 || kinds[generator.ClickTemplate] != 12 || len(recs) != 15 {
		t.Errorf("the stream holds %d records: %d impressions, %d clicks; want 3 and 12", len(recs), kinds[generator.ImpressionTemplate], kinds[generator.ClickTemplate])
	}
	c.shots("1-lab-done")

	c.do("a sender until stopped",
		chromedp.Click(`//button[text()="Click"]`),
		chromedp.SetValue(chromedp.CSS(`#gen-name`), "steady"),
		chromedp.SetValue(chromedp.CSS(`#gen-until`), "0"),
		chromedp.SetValue(chromedp.CSS(`#gen-rate`), "20"),
		chromedp.Click(`//button[text()="Start sending"]`),
		chromedp.WaitVisible(`//tr[@data-sender="steady"]/td[@class="acked" and text()!="0"]`),
		chromedp.Click(`//tr[@data-sender="steady"]//button[text()="Stop"]`),
		chromedp.WaitVisible(`//tr[@data-sender="steady"]/td[contains(@class, "state") and text()="stopped"]`))
	sent := c.text(`tr[data-sender="steady"] td.sent`)
	if sent == "0" || sent == "" {
		t.Errorf("a stopped sender reads %q sent", sent)
	}
	c.do("remove it", chromedp.Click(`//tr[@data-sender="steady"]//button[text()="Remove"]`))
	c.waitJS("steady gone", `!document.querySelector('tr[data-sender="steady"]')`)

	// A page that saw senders under an earlier run of the server (as after
	// a restart: the server's generator began at another time).
	c.do("a restarted server",
		chromedp.Evaluate[chromedp.Void](`sessionStorage.setItem("riffle-generator", JSON.stringify({since: "2020-01-01T00:00:00Z", names: ["old-sender"]}))`),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#senders-lost`)))
	if msg := c.text("#senders-lost"); !strings.HasPrefix(msg, "riffle serve restarted") || !strings.Contains(msg, "old-sender were lost") {
		t.Errorf("after a restart the page says %q", msg)
	}
	c.do("a narrow screen", chromedp.EmulateViewport(400, 800))
	if w := evalJS[float64](c, `document.documentElement.scrollWidth`); w > 400 {
		t.Errorf("at 400 pixels the page is %v pixels wide", w)
	}
	c.do("a desktop screen", chromedp.EmulateViewport(1280, 800))
	c.shots("2-restarted")
}
