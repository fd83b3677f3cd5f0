package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/logtest"
	"github.com/riffle-sql/riffle/internal/mailpit"
	"github.com/riffle-sql/riffle/internal/smstest"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func event(records ...string) destination.Event {
	e := destination.Event{InvocationID: "inv-1", ApplicationARN: "arn:aws:kinesisanalytics:us-east-1:123456789012:application/lab"}
	for i, data := range records {
		e.Records = append(e.Records, destination.EventRecord{RecordID: fmt.Sprintf("rec-%d", i), Data: []byte(data)})
	}
	return e
}

func newNotifier(t *testing.T, cfg Config, opts Options) *Notifier {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	n, err := New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

func results(t *testing.T, n *Notifier, e destination.Event) []string {
	t.Helper()
	resp, err := n.Invoke(context.Background(), e)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if len(resp.Records) != len(e.Records) {
		t.Fatalf("%d results for %d records", len(resp.Records), len(e.Records))
	}
	var out []string
	for i, r := range resp.Records {
		if r.RecordID != e.Records[i].RecordID {
			t.Fatalf("result %d is for %q, want %q", i, r.RecordID, e.Records[i].RecordID)
		}
		out = append(out, r.Result)
	}
	return out
}

func logLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestNotifierDefaultTextIsTheLabsExactly(t *testing.T) {
	var log logtest.Buffer
	clock := &fakeClock{now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	n := newNotifier(t, Config{Subscriptions: []Subscription{{Log: true}}}, Options{Log: &log, Now: clock.Now})
	msg, err := n.render([]byte(`{"CTRPERCENT": 400, "ANOMALY_SCORE": 3.5123}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Anomaly detected with a click through rate of 400% and an anomaly score of 3.5123"; msg.body != want {
		t.Errorf("body\n%q, want\n%q", msg.body, want)
	}
	if msg.subject != "Anomaly Detected" {
		t.Errorf("subject %q", msg.subject)
	}
	if got := results(t, n, event(`{"CTRPERCENT": 400, "ANOMALY_SCORE": 3.5123}`)); got[0] != destination.Ok {
		t.Fatalf("result %v", got)
	}
	want := "2026-11-01T12:00:00Z [riffle] Anomaly Detected: Anomaly detected with a click through rate of 400% and an anomaly score of 3.5123\n"
	if log.String() != want {
		t.Errorf("log line\n%q, want\n%q", log.String(), want)
	}
}

func TestNotifierReadsJSONAndCSVRows(t *testing.T) {
	n := newNotifier(t, Config{Subscriptions: []Subscription{{Log: true}}}, Options{Log: io.Discard})
	cases := []struct{ data, want string }{
		// numbers keep the text they were written with
		{`{"CTRPERCENT": 400.0, "ANOMALY_SCORE": 2.718281828459045, "OTHER": "x"}`, "rate of 400.0% and an anomaly score of 2.718281828459045"},
		{`  {"CTRPERCENT":1e2,"ANOMALY_SCORE":-0.5}` + "\n", "rate of 1e2% and an anomaly score of -0.5"},
		// lower-case keys (the Flink variant's ctrpercent) are found too
		{`{"ctrpercent": 12.5, "anomaly_score": 1}`, "rate of 12.5% and an anomaly score of 1"},
		// the blog's CSV output, split on commas as its function did
		{"400.0,2.718\n", "rate of 400.0% and an anomaly score of 2.718"},
		{"400.0,2.718,extra,fields\r\n", "rate of 400.0% and an anomaly score of 2.718"},
		{`"1,5",3` + "\n", "rate of 1,5% and an anomaly score of 3"},
		// a missing column is left out, not made up
		{"400.0", "rate of 400.0% and an anomaly score of <no value>"},
	}
	for _, c := range cases {
		msg, err := n.render([]byte(c.data))
		if err != nil {
			t.Errorf("%q: %v", c.data, err)
			continue
		}
		if !strings.HasSuffix(msg.body, c.want) {
			t.Errorf("%q: body %q, want it to end %q", c.data, msg.body, c.want)
		}
	}
}

func TestNotifierCustomTemplatesAndCSVColumns(t *testing.T) {
	var log logtest.Buffer
	cfg := Config{
		Topic:         "ClickStreamEvent2",
		Subject:       "Anomaly on {{.PAGE}}\nsecond line",
		Template:      "{{.PAGE}} scored {{.SCORE}}\n{{if gt (len .PAGE) 3}}long{{end}}",
		CSVColumns:    []string{"PAGE", "SCORE"},
		Subscriptions: []Subscription{{Log: true}},
	}
	n := newNotifier(t, cfg, Options{Log: &log})
	msg, err := n.render([]byte("checkout,7.5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if msg.subject != "Anomaly on checkout second line" {
		t.Errorf("subject %q: line breaks must go", msg.subject)
	}
	if msg.body != "checkout scored 7.5\nlong" {
		t.Errorf("body %q", msg.body)
	}
	results(t, n, event("checkout,7.5"))
	if got := log.String(); !strings.Contains(got, "[ClickStreamEvent2] Anomaly on checkout second line: checkout scored 7.5 long\n") {
		t.Errorf("log line %q: want one line", got)
	}
}

func TestNotifierDropsRecordsItCannotRead(t *testing.T) {
	var log logtest.Buffer
	cfg := Config{Template: "{{.A.B.C}}", Subscriptions: []Subscription{{Log: true}}}
	n := newNotifier(t, cfg, Options{Log: &log})
	bad := []string{"", "   \n", `{"CTRPERCENT": 4`, `{"A": 1} {"A": 2}`, `{"A": 1}`, "1,2\n3,4"}
	got := results(t, n, event(bad...))
	for i, r := range got {
		if r != destination.Ok {
			t.Errorf("record %q: %s, want Ok (retrying would not help)", bad[i], r)
		}
	}
	if s := n.Stats(); s.Unparsable != int64(len(bad)) || s.Log.Sent != 0 {
		t.Errorf("stats %+v, want %d unparsable and nothing sent", s, len(bad))
	}
	if log.String() != "" {
		t.Errorf("logged %q", log.String())
	}
}

func TestNotifierSendsSMSTheWayTwilioTakesIt(t *testing.T) {
	p := smstest.New(t, smstest.Options{SID: "AC123", Token: "token"})
	cfg := Config{
		DisplayName: "ClkStrEv2",
		Subscriptions: []Subscription{
			{SMS: "+15555550100"},
			{SMS: "+447700900123"},
		},
		SMS: SMSConfig{URL: p.MessagesURL(), From: "+15005550006", Username: "AC123", Password: "token"},
	}
	n := newNotifier(t, cfg, Options{})
	if got := results(t, n, event(`{"CTRPERCENT": 400.0, "ANOMALY_SCORE": 2.7}`)); got[0] != destination.Ok {
		t.Fatalf("result %v", got)
	}
	reqs := p.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d SMS requests, want one per subscription", len(reqs))
	}
	for i, to := range []string{"+15555550100", "+447700900123"} {
		r := reqs[i]
		if r.Method != http.MethodPost || r.ContentType != "application/x-www-form-urlencoded" {
			t.Errorf("request %d: %s %s", i, r.Method, r.ContentType)
		}
		if !r.HasAuth || r.User != "AC123" || r.Password != "token" {
			t.Errorf("request %d: basic auth %v %q %q", i, r.HasAuth, r.User, r.Password)
		}
		want := url.Values{"To": {to}, "From": {"+15005550006"}, "Body": {"CLKSTREV2> Anomaly detected with a click through rate of 400.0% and an anomaly score of 2.7"}}
		if fmt.Sprint(r.Form) != fmt.Sprint(want) {
			t.Errorf("request %d form\n%v, want\n%v", i, r.Form, want)
		}
	}
	if s := n.Stats(); s.SMS != (Counts{Sent: 2}) {
		t.Errorf("stats %+v", s)
	}
}

func TestNotifierSMSHasNoPrefixWithoutDisplayNameAndIsCapped(t *testing.T) {
	p := smstest.New(t, smstest.Options{})
	cfg := Config{
		Template:      "{{.TEXT}}",
		CSVColumns:    []string{"TEXT"},
		Subscriptions: []Subscription{{SMS: "+15555550100"}},
		SMS:           SMSConfig{URL: p.URL},
	}
	n := newNotifier(t, cfg, Options{})
	long := strings.Repeat("é", 2000)
	results(t, n, event("short", long))
	reqs := p.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	if got := reqs[0].Form.Get("Body"); got != "short" {
		t.Errorf("body %q, want no prefix without a display name", got)
	}
	if reqs[0].HasAuth || reqs[0].Form.Has("From") {
		t.Errorf("no credentials nor from configured, got auth %v, form %v", reqs[0].HasAuth, reqs[0].Form)
	}
	if got := []rune(reqs[1].Form.Get("Body")); len(got) != SMSMaxChars {
		t.Errorf("long body has %d characters, want %d", len(got), SMSMaxChars)
	}
}

func TestNotifierSMSFailureIsDeliveryFailed(t *testing.T) {
	p := smstest.New(t, smstest.Options{Fail: func(int) int { return http.StatusBadRequest }})
	cfg := Config{Subscriptions: []Subscription{{SMS: "+15555550100"}}, SMS: SMSConfig{URL: p.URL}}
	n := newNotifier(t, cfg, Options{})
	if got := results(t, n, event("1,2")); got[0] != destination.DeliveryFailed {
		t.Fatalf("result %v, want DeliveryFailed", got)
	}
	if s := n.Stats(); s.SMS != (Counts{Failed: 1}) {
		t.Errorf("stats %+v", s)
	}
}

// A retried record goes only to the subscriptions that failed it: here the
// email got through the first time, the SMS only the second.
func TestNotifierRetrySendsOnlyToFailedSubscriptions(t *testing.T) {
	mp := mailpit.Start(t)
	p := smstest.New(t, smstest.Options{Fail: func(n int) int {
		if n == 0 {
			return http.StatusServiceUnavailable
		}
		return http.StatusCreated
	}})
	var log logtest.Buffer
	cfg := Config{
		Subscriptions: []Subscription{{Email: "ops@example.com"}, {SMS: "+15555550100"}, {Log: true}},
		SMTP:          SMTPConfig{Host: mp.SMTPHost(), Port: mp.SMTPPort()},
		SMS:           SMSConfig{URL: p.URL},
	}
	n := newNotifier(t, cfg, Options{Log: &log})
	e := event("400.0,2.7")
	if got := results(t, n, e); got[0] != destination.DeliveryFailed {
		t.Fatalf("first attempt %v, want DeliveryFailed (the SMS failed)", got)
	}
	e.Records[0].Metadata.RetryHint = 1
	if got := results(t, n, e); got[0] != destination.Ok {
		t.Fatalf("retry %v, want Ok", got)
	}
	// Delivered: a repeat (as after a restart) sends nothing.
	if got := results(t, n, e); got[0] != destination.Ok {
		t.Fatalf("repeat %v, want Ok", got)
	}
	if got := len(p.Requests()); got != 2 {
		t.Errorf("%d SMS requests, want 2 (failed, then retried)", got)
	}
	if got := len(logLines(log.String())); got != 1 {
		t.Errorf("%d log lines, want 1", got)
	}
	mp.WaitFor(t, 1, time.Minute)
	// The SMS retry and the repeat came after the email was stored: a
	// second email would be there by now.
	if got := len(mp.Messages(t)); got != 1 {
		t.Errorf("%d emails, want 1", got)
	}
	want := Stats{Email: Counts{Sent: 1}, SMS: Counts{Sent: 1, Failed: 1}, Log: Counts{Sent: 1}, Repeats: 1}
	if s := n.Stats(); s != want {
		t.Errorf("stats %+v, want %+v", s, want)
	}
}

func TestNotifierCooldownFoldsAndReportsTheCount(t *testing.T) {
	var log logtest.Buffer
	clock := &fakeClock{now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	cfg := Config{Cooldown: time.Minute, Template: "{{.CTRPERCENT}}", Subscriptions: []Subscription{{Log: true}}}
	n := newNotifier(t, cfg, Options{Log: &log, Now: clock.Now})
	invoke := func(id, data string) {
		t.Helper()
		e := destination.Event{Records: []destination.EventRecord{{RecordID: id, Data: []byte(data)}}}
		if got := results(t, n, e); got[0] != destination.Ok {
			t.Fatalf("%s: %v", id, got)
		}
	}
	invoke("a", "1") // sent
	for i, id := range []string{"b", "c", "d"} {
		clock.Advance(10 * time.Second)
		invoke(id, fmt.Sprint(2+i)) // within the minute: held back
	}
	invoke("c", "3")                // a repeat of a held record is not counted twice
	clock.Advance(30 * time.Second) // 1m0s since "a"
	invoke("e", "5")                // sent, with the count
	clock.Advance(time.Minute)
	invoke("f", "6") // sent, nothing held back since "e"
	clock.Advance(time.Minute)
	invoke("g", "7")
	clock.Advance(time.Second)
	invoke("h", "8")
	clock.Advance(time.Minute)
	invoke("i", "9") // one held back: singular

	var bodies []string
	for _, l := range logLines(log.String()) {
		bodies = append(bodies, l[strings.Index(l, ": ")+2:])
	}
	want := []string{
		"1",
		"5 (3 more notifications were held back by the 1m0s cooldown)",
		"6",
		"7",
		"9 (1 more notification was held back by the 1m0s cooldown)",
	}
	if strings.Join(bodies, "|") != strings.Join(want, "|") {
		t.Errorf("notifications\n%q, want\n%q", bodies, want)
	}
	if s := n.Stats(); s.Folded != 4 || s.Log.Sent != 5 || s.Repeats != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestNotifierCooldownCountSurvivesARetry(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	p := smstest.New(t, smstest.Options{Fail: func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusCreated
	}})
	cfg := Config{Cooldown: time.Minute, Template: "{{.CTRPERCENT}}", Subscriptions: []Subscription{{SMS: "+15555550100"}}, SMS: SMSConfig{URL: p.URL}}
	n := newNotifier(t, cfg, Options{Now: clock.Now})
	one := func(id, data string) destination.Event {
		return destination.Event{Records: []destination.EventRecord{{RecordID: id, Data: []byte(data)}}}
	}
	results(t, n, one("a", "1"))
	clock.Advance(time.Second)
	results(t, n, one("b", "2")) // held
	clock.Advance(time.Minute)
	if got := results(t, n, one("c", "3")); got[0] != destination.DeliveryFailed {
		t.Fatalf("c: %v, want DeliveryFailed", got)
	}
	clock.Advance(time.Second) // a retry within the cooldown is not held back
	if got := results(t, n, one("c", "3")); got[0] != destination.Ok {
		t.Fatalf("c retried: %v, want Ok", got)
	}
	reqs := p.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	want := "3\n\n(1 more notification was held back by the 1m0s cooldown)"
	if got := reqs[2].Form.Get("Body"); got != want {
		t.Errorf("retried body %q, want %q", got, want)
	}
}

func TestNotifierHandlerIsLambdaCompatible(t *testing.T) {
	var log logtest.Buffer
	n := newNotifier(t, Config{Subscriptions: []Subscription{{Log: true}}}, Options{Log: &log})
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()

	body, _ := json.Marshal(event(`{"CTRPERCENT":400.0,"ANOMALY_SCORE":2.7}`, "12.5,1.1"))
	if !bytes.Contains(body, []byte(`"data":"eyJDVFJQRVJDRU5UIjo0MDAuMCwiQU5PTUFMWV9TQ09SRSI6Mi43fQ=="`)) {
		t.Fatalf("the event's data should travel base64-encoded: %s", body)
	}
	resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got destination.Response
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s, decode %v", resp.Status, err)
	}
	want := destination.Response{Records: []destination.Result{{RecordID: "rec-0", Result: "Ok"}, {RecordID: "rec-1", Result: "Ok"}}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("response %+v, want %+v", got, want)
	}
	if lines := logLines(log.String()); len(lines) != 2 {
		t.Errorf("log %q", log.String())
	}

	// A page of another site can POST text/plain or a form to loopback
	// without asking first; a JSON body it can send only after a preflight
	// this endpoint never answers. So an event must say it is JSON, and a
	// request the browser marks cross-site is refused: neither notifies.
	good := string(body)
	for _, c := range []struct {
		method, body, contentType, fetchSite string
		status                               int
	}{
		{http.MethodPost, `{"records": [`, "application/json", "", http.StatusBadRequest},
		{http.MethodPost, `{"records": [{"recordId": "x", "data": "not base64!"}]}`, "application/json", "", http.StatusBadRequest},
		{http.MethodGet, "", "", "", http.StatusMethodNotAllowed},
		{http.MethodPost, good, "text/plain", "", http.StatusUnsupportedMediaType},
		{http.MethodPost, good, "application/x-www-form-urlencoded", "", http.StatusUnsupportedMediaType},
		{http.MethodPost, good, "", "", http.StatusUnsupportedMediaType},
		{http.MethodPost, good, "application/json; charset=utf-8", "cross-site", http.StatusForbidden},
	} {
		req, _ := http.NewRequest(c.method, srv.URL, strings.NewReader(c.body))
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		if c.fetchSite != "" {
			req.Header.Set("Sec-Fetch-Site", c.fetchSite)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ ErrorType, ErrorMessage string }
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != c.status || err != nil || e.ErrorMessage == "" || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %q (%s, %s): %s %+v (%v), want %d with a JSON error", c.method, c.body, c.contentType, c.fetchSite, resp.Status, e, err, c.status)
		}
	}
	if lines := logLines(log.String()); len(lines) != 2 {
		t.Errorf("refused requests notified: log %q", log.String())
	}
	// A JSON type with parameters, or a +json one, is an event.
	for _, ct := range []string{"application/json; charset=utf-8", "application/vnd.aws+json"} {
		resp, err := http.Post(srv.URL, ct, strings.NewReader(good))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("Content-Type %s: %s", ct, resp.Status)
		}
	}
}

func TestNotifierRefusesAnUnreachableSMTPServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := Config{Subscriptions: []Subscription{{Email: "ops@example.com"}}, SMTP: SMTPConfig{Host: "127.0.0.1", Port: port}}
	_, err = New(context.Background(), cfg, Options{})
	want := fmt.Sprintf("smtp 127.0.0.1:%d: dial tcp 127.0.0.1:%d: connect: connection refused", port, port)
	if err == nil || err.Error() != want {
		t.Fatalf("New: %v, want %q", err, want)
	}
}

func TestNotifierRefusesAnSMTPServerWithoutRequiredSTARTTLS(t *testing.T) {
	mp := mailpit.Start(t)
	cfg := Config{Subscriptions: []Subscription{{Email: "ops@example.com"}}, SMTP: SMTPConfig{Host: mp.SMTPHost(), Port: mp.SMTPPort(), StartTLS: StartTLSAlways}}
	_, err := New(context.Background(), cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Fatalf("New: %v, want a refusal", err)
	}
}

// A real SMTP server (Mailpit) gets the lab's email, and it reads back as
// SNS would have sent it.
func TestNotifierEmailsThroughMailpit(t *testing.T) {
	mp := mailpit.Start(t)
	clock := &fakeClock{now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	cfg := Config{
		Topic:       "ClickStreamEvent2",
		DisplayName: "ClkStrEv2",
		Subscriptions: []Subscription{
			{Email: "ops@example.com"},
			{Email: "Ana Lyst <analyst@example.com>"},
		},
		// AUTH is offered and accepted by the test server; PLAIN goes to
		// 127.0.0.1 without TLS.
		SMTP: SMTPConfig{Host: mp.SMTPHost(), Port: mp.SMTPPort(), Username: "riffle", Password: "secret", From: "no-reply@riffle.test"},
	}
	n := newNotifier(t, cfg, Options{Now: clock.Now})
	if got := results(t, n, event(`{"CTRPERCENT": 400.0, "ANOMALY_SCORE": 2.718281828459045}`)); got[0] != destination.Ok {
		t.Fatalf("result %v", got)
	}
	msgs := mp.WaitFor(t, 2, time.Minute)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want one per email subscription", len(msgs))
	}
	for i, to := range []mailpit.Address{{Address: "ops@example.com"}, {Name: "Ana Lyst", Address: "analyst@example.com"}} {
		m := msgs[i]
		if m.Subject != "Anomaly Detected" {
			t.Errorf("subject %q", m.Subject)
		}
		if want := "Anomaly detected with a click through rate of 400.0% and an anomaly score of 2.718281828459045"; strings.TrimSpace(m.Text) != want {
			t.Errorf("text %q, want %q", m.Text, want)
		}
		if m.From != (mailpit.Address{Name: "ClkStrEv2", Address: "no-reply@riffle.test"}) {
			t.Errorf("from %+v", m.From)
		}
		if len(m.To) != 1 || m.To[0] != to {
			t.Errorf("to %+v, want %+v", m.To, to)
		}
		if !m.Date.Equal(clock.Now()) {
			t.Errorf("date %v", m.Date)
		}
		if !strings.HasSuffix(m.MessageID, "@riffle.test") {
			t.Errorf("message id %q", m.MessageID)
		}
		for h, want := range map[string]string{"Mime-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8"} {
			if got := m.Headers[h]; len(got) != 1 || got[0] != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}
	}
	if msgs[0].MessageID == msgs[1].MessageID {
		t.Errorf("both messages have id %q", msgs[0].MessageID)
	}
	if s := n.Stats(); s.Email != (Counts{Sent: 2}) {
		t.Errorf("stats %+v", s)
	}
}

func TestNotifierEncodesANonASCIISubjectAndBody(t *testing.T) {
	mp := mailpit.Start(t)
	cfg := Config{
		Subject:       "Anomalie détectée: {{.CTRPERCENT}} %",
		Template:      "Taux de clics {{.CTRPERCENT}} % — score {{.ANOMALY_SCORE}}\n" + strings.Repeat("long line ", 30),
		Subscriptions: []Subscription{{Email: "ops@example.com"}},
		SMTP:          SMTPConfig{Host: mp.SMTPHost(), Port: mp.SMTPPort(), StartTLS: StartTLSNever},
	}
	n := newNotifier(t, cfg, Options{})
	results(t, n, event("400.0,2.7"))
	m := mp.WaitFor(t, 1, time.Minute)[0]
	if m.Subject != "Anomalie détectée: 400.0 %" {
		t.Errorf("subject %q", m.Subject)
	}
	if got := m.Headers["Subject"]; len(got) != 1 || !strings.HasPrefix(got[0], "=?UTF-8?q?") {
		t.Errorf("Subject header %q, want it Q-encoded", got)
	}
	if want := "Taux de clics 400.0 % — score 2.7\n" + strings.Repeat("long line ", 30); strings.TrimRight(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n") != want {
		t.Errorf("text %q", m.Text)
	}
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNotifyConfigLoadsWithDefaults(t *testing.T) {
	path := writeConfig(t, `
topic: ClickStreamEvent2
display_name: ClkStrEv2
cooldown: 1m30s
subscriptions:
  - email: ops@example.com
  - sms: "+15555550100"
  - log: true
smtp: {host: localhost, port: 1025, starttls: never}
sms:
  url: https://api.twilio.com/2010-04-01/Accounts/ACxxx/Messages.json
  from: "+15005550006"
  username: ACxxx
  password: token
`)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Topic: "ClickStreamEvent2", DisplayName: "ClkStrEv2", Subject: DefaultSubject, Template: DefaultTemplate,
		CSVColumns: DefaultCSVColumns(), Cooldown: 90 * time.Second,
		Subscriptions: []Subscription{{Email: "ops@example.com"}, {SMS: "+15555550100"}, {Log: true}},
		SMTP:          SMTPConfig{Host: "localhost", Port: 1025, StartTLS: "never", From: DefaultFrom},
		SMS:           SMSConfig{URL: "https://api.twilio.com/2010-04-01/Accounts/ACxxx/Messages.json", From: "+15005550006", Username: "ACxxx", Password: "token"},
	}
	if fmt.Sprintf("%+v", cfg) != fmt.Sprintf("%+v", want) {
		t.Errorf("config\n%+v, want\n%+v", cfg, want)
	}
}

func TestNotifyConfigValidation(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // each must appear in the error
	}{
		{"unknown key", "topic: t\nsubscriptions:\n  - log: true\ncooldwn: 1m\n", []string{`line 4: unknown key "cooldwn"`}},
		{"unknown nested key", "subscriptions:\n  - log: true\nsmtp:\n  hots: x\n", []string{`line 4: unknown key "hots" in smtp`}},
		{"unknown subscription key", "subscriptions:\n  - emali: a@b.c\n", []string{`line 2: unknown key "emali" in subscriptions`}},
		{"no subscriptions", "topic: t\n", []string{"no subscriptions"}},
		{"empty file", "", []string{"no subscriptions"}},
		{"bad email", "subscriptions:\n  - email: not-an-address\nsmtp: {host: h}\n", []string{`subscriptions[0].email "not-an-address" is not an email address`}},
		{"not E.164", "subscriptions:\n  - sms: \"5555550100\"\n  - sms: \"+0123\"\n  - sms: \"+1234567890123456\"\nsms: {url: \"http://h/x\"}\n", []string{
			`subscriptions[0].sms "5555550100" is not an E.164`, `subscriptions[1].sms "+0123" is not an E.164`, `subscriptions[2].sms "+1234567890123456" is not an E.164`}},
		{"email without smtp", "subscriptions:\n  - email: ops@example.com\n", []string{"email subscriptions need smtp.host"}},
		{"sms without url", "subscriptions:\n  - sms: \"+15555550100\"\n", []string{"sms subscriptions need sms.url"}},
		{"relative sms url", "subscriptions:\n  - log: true\nsms: {url: /Messages.json}\n", []string{`sms.url "/Messages.json": want an absolute http(s) URL with a host`}},
		{"sms url scheme", "subscriptions:\n  - log: true\nsms: {url: \"ftp://h/x\"}\n", []string{`sms.url "ftp://h/x": want an absolute http(s) URL`}},
		{"sms url without host", "subscriptions:\n  - log: true\nsms: {url: \"http:///x\"}\n", []string{`sms.url "http:///x"`}},
		{"template", "template: \"{{.CTRPERCENT\"\nsubscriptions:\n  - log: true\n", []string{"template does not parse: template: template:1: unclosed action"}},
		{"subject template", "subject: \"{{nofunc}}\"\nsubscriptions:\n  - log: true\n", []string{`subject does not parse: template: subject:1: function "nofunc" not defined`}},
		{"starttls", "subscriptions:\n  - log: true\nsmtp: {starttls: sometimes}\n", []string{`smtp.starttls "sometimes": want auto, always or never`}},
		{"negative cooldown", "cooldown: -1s\nsubscriptions:\n  - log: true\n", []string{"cooldown -1s is negative"}},
		{"bad cooldown", "cooldown: soon\nsubscriptions:\n  - log: true\n", []string{"line 1: cannot unmarshal"}},
		{"two kinds in one subscription", "subscriptions:\n  - {log: true, sms: \"+15555550100\"}\n  - {log: false}\n", []string{
			"subscriptions[0]: give exactly one of email, sms or log", "subscriptions[1]: give exactly one of email, sms or log"}},
		{"smtp from", "subscriptions:\n  - log: true\nsmtp: {from: nobody}\n", []string{`smtp.from "nobody" is not an email address`}},
		{"every problem at once", "cooldown: -1m\nsubscriptions:\n  - email: x\n  - sms: \"1\"\nsmtp: {starttls: maybe}\n", []string{
			`subscriptions[0].email "x"`, `subscriptions[1].sms "1"`, "cooldown -1m0s is negative", `smtp.starttls "maybe"`, "email subscriptions need smtp.host", "sms subscriptions need sms.url"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, c.yaml)
			_, err := Load(path)
			if err == nil {
				t.Fatalf("loaded, want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nwant it to contain %q", err, w)
				}
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, path+": ") {
					t.Errorf("line %q does not name the file", line)
				}
			}
		})
	}
}

func TestNotifierNewValidatesAConfigMadeInCode(t *testing.T) {
	_, err := New(context.Background(), Config{Subscriptions: []Subscription{{SMS: "555"}}}, Options{})
	if err == nil || !strings.Contains(err.Error(), `subscriptions[0].sms "555" is not an E.164`) || !strings.Contains(err.Error(), "sms subscriptions need sms.url") {
		t.Fatalf("New: %v", err)
	}
}

func TestNotifierMemoryIsBounded(t *testing.T) {
	m := newMemory(3)
	for _, id := range []string{"a", "b", "c", "b", "d"} {
		m.put(id, &delivery{})
	}
	for id, want := range map[string]bool{"a": false, "b": true, "c": true, "d": true} {
		if _, ok := m.get(id); ok != want {
			t.Errorf("%s remembered %v, want %v", id, ok, want)
		}
	}
	if len(m.byID) != 3 {
		t.Errorf("%d ids kept, want 3", len(m.byID))
	}
	m.put("", &delivery{})
	if _, ok := m.get(""); ok {
		t.Error("an empty id is remembered")
	}
}

func TestNotifierInvokeWithADoneContext(t *testing.T) {
	n := newNotifier(t, Config{Subscriptions: []Subscription{{Log: true}}}, Options{Log: io.Discard})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := n.Invoke(ctx, event("1,2")); err == nil {
		t.Fatal("Invoke with a cancelled context succeeded")
	}
}

// testLogger sends the notifier's log to the test's.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their files and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "riffle test SMTP"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true,

		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestNotifierEmailsOverSTARTTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	mp := mailpit.Start(t, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile)
	cfg := Config{
		Subscriptions: []Subscription{{Email: "ops@example.com"}},
		SMTP:          SMTPConfig{Host: mp.SMTPHost(), Port: mp.SMTPPort(), Username: "riffle", Password: "secret"},
	}

	// auto takes STARTTLS when offered, and checks the certificate.
	_, err := New(context.Background(), cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS: tls: failed to verify certificate") {
		t.Fatalf("New with an untrusted certificate: %v, want a refusal", err)
	}

	cfg.SMTP.StartTLS = StartTLSAlways
	n := newNotifier(t, cfg, Options{TLSConfig: &tls.Config{RootCAs: pool}})
	if got := results(t, n, event("400.0,2.7")); got[0] != destination.Ok {
		t.Fatalf("over STARTTLS: %v", got)
	}
	msgs := mp.WaitFor(t, 1, time.Minute)
	if len(msgs) != 1 || msgs[0].Subject != DefaultSubject {
		t.Fatalf("messages %+v", msgs)
	}
}
