package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/internal/busy"
	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
	"github.com/riffle-sql/riffle/streamlog"
)

// TestTheClusterPageAndTheLiveViewOnAnotherNode: two nodes share one
// nats-server and n1 runs an application. The console of n2 links its
// Cluster page, which lists both nodes and n1 as the application's
// owner; n2's live view of the application shows the rows n1 relays. The
// console of a server that is no node has no Cluster link.
func TestTheClusterPageAndTheLiveViewOnAnotherNode(t *testing.T) {
	ctx := context.Background()
	if *load > 0 {
		t.Cleanup(busy.Start(*load))
	}
	url := natstest.Start(t)
	node := func(name string) *servertest.Server {
		return servertest.Start(t, server.Config{NATS: url, Apps: app.Options{Node: name, Poll: 10 * time.Millisecond}})
	}
	n1, n2 := node("n1"), node("n2")
	if err := n1.Log.Create(ctx, "in", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	schema := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: []record.RecordColumn{{Name: "N", SqlType: "INTEGER", Mapping: "$.n"}}}
	def := app.Application{Name: "lab", Code: `CREATE STREAM "DESTINATION_SQL_STREAM" (N INTEGER);
CREATE PUMP "P" AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM "N" FROM "SOURCE_SQL_STREAM_001";`,
		Inputs: []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "in", Kind: "firehose", Schema: schema}}}
	if _, err := n1.Apps.Create(ctx, def); err != nil {
		t.Fatal(err)
	}
	if err := n1.Apps.Start(ctx, "lab", app.Now); err != nil {
		t.Fatal(err)
	}
	c := &session{t: t, srv: n2, b: browser(t)}
	t.Cleanup(func() {
		if t.Failed() {
			savePage(t, c.b, "failed")
		}
	})
	c.do("the Cluster page of n2",
		chromedp.Navigate(n2.URL+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`#nav-cluster`)),
		chromedp.Click(chromedp.CSS(`#nav-cluster`)),
		chromedp.WaitVisible(chromedp.CSS(`#cluster-seen`)))
	// (n1 is listed once n2 has looked at its presence, and lab's lag once
	// n1 has measured it; the page looks again every 2 s.)
	c.waitJS("both nodes and n1 as lab's owner", `(() => {
		const cells = (sel) => [...document.querySelectorAll(sel + " td")].map((td) => td.textContent);
		const n1 = cells('#cluster-nodes tr[data-node="n1"]'), n2 = cells('#cluster-nodes tr[data-node="n2"]');
		const lab = cells('#cluster-leases tr[data-application="lab"]');
		return n1[1] === "1" && /^[0-9.m]+s ago$/.test(n1[2]) && n2[1] === "0" && lab[1] === "RUNNING" && lab[2] === "n1" && /^[0-9.m]+s$/.test(lab[3]) && /^[0-9]+$/.test(lab[4]);
	})()`)
	if got := c.text(`#cluster-seen`); !strings.HasPrefix(got, "As node n2 sees it (lease TTL "+app.DefaultLeaseTTL.String()+").") {
		t.Fatalf("the page says %q", got)
	}
	screenshot(t, c.b, "cluster")
	c.do("the Cluster page on a narrow screen", chromedp.EmulateViewport(400, 800), chromedp.Reload(), chromedp.WaitVisible(`#cluster-leases td`))
	if wide := c.eval(`[String(document.documentElement.scrollWidth), String(window.innerWidth)]`); wide[0] != wide[1] {
		t.Errorf("on a 400-pixel screen the Cluster page is %s pixels wide", wide[0])
	}
	screenshot(t, c.b, "cluster-narrow")
	c.do("back to a desktop screen", chromedp.EmulateViewport(1280, 800), chromedp.Reload(), chromedp.WaitVisible(`#cluster-leases td`))

	// The live view, through n2, of what n1 runs: the row of a record
	// comes with the recent rows or relayed, whenever n1 makes it.
	if _, err := n1.Log.Append(ctx, "in", 0, []streamlog.Record{{Data: []byte(`{"n": 7}`), Arrival: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	c.do("lab's live view on n2",
		chromedp.Click(`//table[@id="cluster-leases"]//a[text()="lab"]`),
		chromedp.WaitVisible(`//button[@role="tab" and text()="DESTINATION_SQL_STREAM"]`),
		chromedp.WaitVisible(`//table[@data-stream="DESTINATION_SQL_STREAM"]//td[text()="7"]`))
	if _, err := n1.Log.Append(ctx, "in", 0, []streamlog.Record{{Data: []byte(`{"n": 8}`), Arrival: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	c.do("a new row in lab's live view on n2", chromedp.WaitVisible(`//table[@data-stream="DESTINATION_SQL_STREAM"]//td[text()="8"]`))
	screenshot(t, c.b, "live-on-n2")

	// A server that is no node: no link.
	single := newSession(t, 1)
	single.do("the console of a single server", chromedp.Navigate(single.srv.URL+"/#/"))
	single.waitJS("the console knows it is no node", `document.body.dataset.cluster === "no"`)
	if !evalJS[bool](single, `document.getElementById("nav-cluster").hidden`) {
		t.Fatal("a server that is no node links a Cluster page")
	}
}
