package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
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
	"github.com/riffle-sql/riffle/server"
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

// TestTheLabInTheConsole does the lab's steps in a real browser: create a
// delivery stream and an application, discover the schema from generator
// traffic, see a SQL error at its line, run the lab's SQL, watch rows come
// into CTRSTREAM and DESTINATION_SQL_STREAM, stop and delete.
func TestTheLabInTheConsole(t *testing.T) {
	ctx := context.Background()
	srv, err := server.New(ctx, server.Config{Data: t.TempDir(), Apps: app.Options{TimeScale: 20, Poll: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	web := httptest.NewServer(srv.Handler)
	defer web.Close()
	b := browser(t)
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(b, steps...); err != nil {
			screenshot(t, b, "failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(b, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			screenshot(t, b, "failed")
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	eval := func(js string) []string {
		t.Helper()
		v, err := chromedp.Run(b, chromedp.Evaluate[[]string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}

	run("create the delivery stream",
		chromedp.Navigate(web.URL+"/#/streams"),
		chromedp.WaitVisible(chromedp.CSS(`#stream-name`)),
		chromedp.SendKeys(chromedp.CSS(`#stream-name`), "clicks"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Create a stream"] button`)),
		chromedp.WaitVisible(`//td[text()="clicks"]`))
	screenshot(t, b, "1-streams")

	// The lab's traffic, as the generator sends it, all along.
	target, err := generator.NewStreamTarget(ctx, generator.StreamConfig{Name: "clicks", Kind: "firehose", Endpoint: web.URL})
	if err != nil {
		t.Fatal(err)
	}
	traffic, stopTraffic := context.WithCancel(ctx)
	defer stopTraffic()
	gen, err := generator.Start(traffic, generator.Lab(), generator.Options{Target: target, Speed: 20, Forever: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { stopTraffic(); <-gen.Done() }()

	run("refuse an application without a name",
		chromedp.Navigate(web.URL+"/#/"),
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
