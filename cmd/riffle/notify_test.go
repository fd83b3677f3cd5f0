package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/smstest"
)

// notifyOutput collects what the command prints after its first line.
type notifyOutput struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func (o *notifyOutput) write(p []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
}

// wait returns when the output changes or at the deadline.
func (o *notifyOutput) wait(deadline time.Time) {
	o.mu.Lock()
	changed := o.changed
	o.mu.Unlock()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-changed:
	case <-timer.C:
	}
}

func (o *notifyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// startNotifyServe runs `riffle notify serve` in-process until the test
// ends, and returns the URL it prints and the rest of its output.
func startNotifyServe(t *testing.T, args ...string) (string, *notifyOutput) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	cmd := newRootCommand()
	cmd.SetArgs(append([]string{"notify", "serve"}, args...))
	cmd.SetOut(pw)
	var stderr bytes.Buffer
	cmd.SetErr(&stderr)
	done := make(chan error, 1)
	go func() { // owns the command; ends when ctx is cancelled
		err := cmd.ExecuteContext(ctx)
		pw.Close()
		done <- err
	}()
	r := bufio.NewReader(pr)
	line, err := r.ReadString('\n')
	if err != nil || !strings.Contains(line, "http://") {
		cancel()
		t.Fatalf("notify serve did not start: %q %v: %v %s", line, err, <-done, stderr.String())
	}
	out := &notifyOutput{changed: make(chan struct{})}
	drained := make(chan struct{})
	go func() { // owns the pipe's reading end; ends when the command does
		defer close(drained)
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			out.write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("notify serve: %v", err)
		}
		<-drained
	})
	return strings.Fields(line[strings.Index(line, "http://"):])[0], out
}

func writeNotifyConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNotifyServeDeliversAnEventToItsSubscriptions(t *testing.T) {
	sms := smstest.New(t, smstest.Options{SID: "AC123", Token: "token"})
	config := writeNotifyConfig(t, `
topic: ClickStreamEvent2
display_name: ClkStrEv2
subscriptions:
  - sms: "+15555550100"
  - log: true
sms:
  url: `+sms.MessagesURL()+`
  from: "+15005550006"
  username: AC123
  password: token
`)
	endpoint, out := startNotifyServe(t, "--config", config, "--listen", "127.0.0.1:0", "--basic-auth", "riffle:s3cret")

	event := destination.Event{InvocationID: "inv", ApplicationARN: "arn:aws:kinesisanalytics:us-east-1:123456789012:application/lab",
		Records: []destination.EventRecord{{RecordID: "49546986683135544286507457936321625675700192471156785154", Data: []byte(`{"CTRPERCENT":400.0,"ANOMALY_SCORE":2.718}`)}}}
	body, _ := json.Marshal(event)
	post := func(auth bool) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth {
			req.SetBasicAuth("riffle", "s3cret")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	resp := post(false)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("without credentials: %s, want 401 with a challenge", resp.Status)
	}
	if sent := sms.Sent(); len(sent) != 0 {
		t.Fatalf("an unauthenticated request sent %d SMS", len(sent))
	}

	resp = post(true)
	defer resp.Body.Close()
	var got destination.Response
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s, decode %v", resp.Status, err)
	}
	if len(got.Records) != 1 || got.Records[0] != (destination.Result{RecordID: event.Records[0].RecordID, Result: destination.Ok}) {
		t.Fatalf("response %+v", got)
	}
	sent := sms.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d SMS sent, want 1", len(sent))
	}
	want := url.Values{"To": {"+15555550100"}, "From": {"+15005550006"}, "Body": {"CLKSTREV2> Anomaly detected with a click through rate of 400.0% and an anomaly score of 2.718"}}
	for k, v := range want {
		if sent[0].Form.Get(k) != v[0] {
			t.Errorf("SMS %s = %q, want %q", k, sent[0].Form.Get(k), v[0])
		}
	}
	// The log subscription wrote its line before the response was sent;
	// the test's reader may still be copying it.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "[ClickStreamEvent2] Anomaly Detected: Anomaly detected with a click through rate of 400.0%") {
		if time.Now().After(deadline) {
			t.Fatalf("output %q: want the log subscription's line", out.String())
		}
		out.wait(deadline)
	}
}

func TestNotifyServeRefusesABadConfig(t *testing.T) {
	config := writeNotifyConfig(t, "subscriptions:\n  - sms: \"555-0100\"\n  - email: ops@example.com\nsmtp: {host: localhost, starttls: sometimes}\ncooldown: -5s\n")
	_, _, err := runRiffle(t, "notify", "serve", "--config", config)
	if err == nil {
		t.Fatal("a bad configuration was accepted")
	}
	for _, want := range []string{
		config + `: subscriptions[0].sms "555-0100" is not an E.164 phone number`,
		config + ": sms subscriptions need sms.url",
		config + `: smtp.starttls "sometimes": want auto, always or never`,
		config + ": cooldown -5s is negative",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error\n%v\nwant it to contain %q", err, want)
		}
	}

	unknown := writeNotifyConfig(t, "subscriptions:\n  - log: true\nsmtp:\n  hostname: x\n")
	if _, _, err := runRiffle(t, "notify", "serve", "--config", unknown); err == nil || !strings.Contains(err.Error(), `line 4: unknown key "hostname" in smtp`) {
		t.Errorf("unknown key: %v", err)
	}
	if _, _, err := runRiffle(t, "notify", "serve"); err == nil || !strings.Contains(err.Error(), "config") {
		t.Errorf("without --config: %v", err)
	}
}

func TestNotifyServeRefusesAnUnreachableSMTPServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	config := writeNotifyConfig(t, "subscriptions:\n  - email: ops@example.com\nsmtp: {host: 127.0.0.1, port: "+port+"}\n")
	_, _, err = runRiffle(t, "notify", "serve", "--config", config)
	if err == nil || !strings.Contains(err.Error(), "smtp "+addr+": dial tcp "+addr+": connect: connection refused") {
		t.Fatalf("notify serve: %v, want the SMTP server refused", err)
	}
}

func TestNotifyServeRefusesAnOpenAddressWithoutBasicAuth(t *testing.T) {
	config := writeNotifyConfig(t, "subscriptions:\n  - log: true\n")
	_, _, err := runRiffle(t, "notify", "serve", "--config", config, "--listen", "0.0.0.0:0")
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("notify serve on 0.0.0.0: %v, want a refusal", err)
	}
	if _, _, err := runRiffle(t, "notify", "serve", "--config", config, "--basic-auth", "nocolon"); err == nil || !strings.Contains(err.Error(), "USER:PASS") {
		t.Fatalf("--basic-auth nocolon: %v", err)
	}
}
