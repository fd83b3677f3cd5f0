//go:build lab

// The clickstream lab end to end with notifications (../shared/lab): the
// recorded traffic in a stream, the lab's SQL running as an application
// whose DESTINATION_SQL_STREAM goes (JSON, as the lab asks) to the built-in
// notifier, email through a real SMTP server (mailpit) and SMS through a
// Twilio-shaped webhook. scripts/test runs it whenever ../shared/lab is
// present:
//
//	go test -tags lab -run Lab ./notify -lab ../../shared/lab
package notify_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/mailpit"
	"github.com/riffle-sql/riffle/internal/smstest"
	"github.com/riffle-sql/riffle/notify"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/runner"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

var labDir = flag.String("lab", "../../shared/lab", "the lab's files")

// labRecords reads the recorded traffic: each record's arrival and data.
func labRecords(t *testing.T) ([]time.Time, [][]byte) {
	f, err := os.Open(filepath.Join(*labDir, "traffic.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var arrivals []time.Time
	var data [][]byte
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var line struct {
			Arrival time.Time
			Data    json.RawMessage
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		arrivals = append(arrivals, line.Arrival)
		data = append(data, append(bytes.Clone(line.Data), '\n'))
	}
	return arrivals, data
}

// expectedTexts are the notifications the lab's anomalies make: the
// offline run's DESTINATION_SQL_STREAM rows, in the default text.
func expectedTexts(t *testing.T, sql []byte) []string {
	traffic, err := os.Open(filepath.Join(*labDir, "traffic.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer traffic.Close()
	var out bytes.Buffer
	if err := runner.Run(runner.Options{SQL: string(sql), Application: "anomaly_detection"}, traffic, &out); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var row struct{ CTRPERCENT, ANOMALY_SCORE json.Number }
		d := json.NewDecoder(strings.NewReader(line))
		d.UseNumber()
		if err := d.Decode(&row); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, "Anomaly detected with a click through rate of "+row.CTRPERCENT.String()+"% and an anomaly score of "+row.ANOMALY_SCORE.String())
	}
	slices.Sort(texts)
	return texts
}

// TestLabAnomaliesReachAMailboxAndAPhone: every anomaly of the recorded
// lab traffic makes exactly one email (read back from mailpit) and one
// Twilio-shaped SMS request, with the lab's subject and text.
func TestLabAnomaliesReachAMailboxAndAPhone(t *testing.T) {
	sql, err := os.ReadFile(filepath.Join(*labDir, "anomaly_detection.sql"))
	if err != nil {
		t.Fatal(err)
	}
	want := expectedTexts(t, sql)
	if len(want) != 6 {
		t.Fatalf("the offline run has %d anomalies, want the lab's 6", len(want))
	}

	mail := mailpit.Start(t)
	phone := smstest.New(t, smstest.Options{SID: "AC123", Token: "token"})
	var console bytes.Buffer
	cfg := notify.Config{
		Topic: "ClickStreamEvent2",
		Subscriptions: []notify.Subscription{
			{Email: "ops@example.com"}, {SMS: "+15555550100"},
		},
		SMTP: notify.SMTPConfig{Host: mail.SMTPHost(), Port: mail.SMTPPort()},
		SMS:  notify.SMSConfig{URL: phone.MessagesURL(), From: "+15005550006", Username: "AC123", Password: "token"},
	}
	ctx := context.Background()
	n, err := notify.New(ctx, cfg, notify.Options{Log: &console})
	if err != nil {
		t.Fatal(err)
	}

	// The server, with the notifier as the lab's function.
	srv := servertest.Start(t, server.Config{Apps: app.Options{Poll: 10 * time.Millisecond, Functions: map[string]destination.Function{"CSEBeconAnomalyResponse": n}}})

	// The recorded traffic, moved to end a minute ago on a whole 10 s, in
	// a data stream: the application reads it as a backlog, each record
	// with its own arrival, so the windows are the recording's.
	streamlogtest.Create(t, srv.Log, streamlogtest.Stream{Name: "clicks", Kind: "kinesis", Shards: 1})
	arrivals, data := labRecords(t)
	shift := time.Now().Add(-time.Minute).Truncate(10 * time.Second).Sub(arrivals[len(arrivals)-1].Truncate(10 * time.Second).Add(10 * time.Second))
	for from := 0; from < len(data); from += 500 {
		var recs []streamlog.Record
		for i := from; i < min(from+500, len(data)); i++ {
			recs = append(recs, streamlog.Record{Data: data[i], Arrival: arrivals[i].Add(shift)})
		}
		if _, err := srv.Log.Append(ctx, "clicks", 0, recs); err != nil {
			t.Fatal(err)
		}
	}
	schema := record.Schema{
		RecordFormat: record.RecordFormat{RecordFormatType: record.JSON},
		RecordColumns: []record.RecordColumn{
			{Name: "browseraction", SqlType: "VARCHAR(16)", Mapping: "$.browseraction"},
			{Name: "site", SqlType: "VARCHAR(64)", Mapping: "$.site"},
		},
	}
	def := app.Application{
		Name: "anomaly_detection", Code: string(sql),
		Inputs:  []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "kinesis", Schema: schema}},
		Outputs: []app.Output{{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: app.LambdaOutput, Target: "CSEBeconAnomalyResponse"}},
	}
	if _, err := srv.Apps.Create(ctx, def); err != nil {
		t.Fatal(err)
	}
	if err := srv.Apps.Start(ctx, def.Name, app.TrimHorizon); err != nil {
		t.Fatal(err)
	}

	emails := mail.WaitFor(t, len(want), 60*time.Second)
	phone.WaitSent(t, len(want), 30*time.Second)
	// Stopping drains the output: anything sent twice would be there now.
	if err := srv.Apps.Stop(ctx, def.Name); err != nil {
		t.Fatal(err)
	}
	emails = mail.Messages(t)

	var bodies []string
	for _, e := range emails {
		if e.Subject != "Anomaly Detected" || len(e.To) != 1 || e.To[0].Address != "ops@example.com" {
			t.Errorf("email %q to %v", e.Subject, e.To)
		}
		bodies = append(bodies, strings.TrimSpace(e.Text))
	}
	slices.Sort(bodies)
	if !slices.Equal(bodies, want) {
		t.Errorf("emails:\n%s\nwant one per anomaly:\n%s", strings.Join(bodies, "\n"), strings.Join(want, "\n"))
	}
	sms := phone.Sent()
	var texts []string
	for _, s := range sms {
		if s.Form.Get("To") != "+15555550100" || s.Form.Get("From") != "+15005550006" {
			t.Errorf("SMS from %s to %s", s.Form.Get("From"), s.Form.Get("To"))
		}
		texts = append(texts, s.Form.Get("Body"))
	}
	slices.Sort(texts)
	if !slices.Equal(texts, want) {
		t.Errorf("SMS:\n%s\nwant one per anomaly:\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
	t.Logf("%d emails and %d SMS, e.g. %q", len(emails), len(sms), want[0])
}
