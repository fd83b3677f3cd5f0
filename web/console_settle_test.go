package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/record"
)

// TestTheSettleWaitIsSetOnTheSQLTab: the SQL tab shows the application's
// settle wait (the default until one is set); a value out of bounds is
// refused beside the field, and one within them is saved.
func TestTheSettleWaitIsSetOnTheSQLTab(t *testing.T) {
	ctx := context.Background()
	c := newSession(t, 1)
	if err := c.srv.Log.Create(ctx, "numbers", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	in := app.Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "numbers", Kind: "firehose", Schema: record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON},
		RecordColumns: []record.RecordColumn{{Name: "N", SqlType: "INTEGER", Mapping: "$.n"}}}}
	if _, err := c.srv.Apps.Create(ctx, app.Application{Name: "st", Code: copySQL, Inputs: []app.Input{in}}); err != nil {
		t.Fatal(err)
	}
	c.do("the SQL tab", chromedp.Navigate(c.srv.URL+"/#/app/st/sql"), chromedp.WaitVisible(chromedp.CSS(`#settle`)))
	if v := evalJS[string](c, `document.getElementById("settle").value`); v != "500" {
		t.Fatalf("the settle field shows %q, want the default 500", v)
	}
	c.do("a wait over a minute", chromedp.SetValue(chromedp.CSS(`#settle`), "70000"), chromedp.Click(`#settle-save`))
	c.waitJS("the field's error", `document.getElementById("settle-error").textContent.includes("60000")`)
	c.do("a wait of 150 ms", chromedp.SetValue(chromedp.CSS(`#settle`), "150"), chromedp.Click(`#settle-save`))
	c.until("the wait saved", func() (bool, string) {
		a, err := c.srv.Apps.Get(ctx, "st")
		return err == nil && a.SettleWait() == 150*time.Millisecond, a.SettleWait().String()
	})
	c.waitJS("the page shows it", `document.getElementById("settle") && document.getElementById("settle").value === "150"`)
}
