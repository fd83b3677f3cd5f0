package smstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, target, user, pass string, form url.Values) (int, map[string]any) {
	t.Helper()
	status, out, err := send(target, user, pass, form)
	if err != nil {
		t.Fatal(err)
	}
	return status, out
}

// send posts a form and decodes the JSON answer.
func send(target, user, pass string, form url.Values) (int, map[string]any, error) {
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, nil, fmt.Errorf("the answer is not JSON: %w", err)
	}
	return resp.StatusCode, out, nil
}

// TestAnAccountTakesOnlyItsOwnSignedMessages: a message to the account's
// endpoint with its credentials is sent (201, Twilio's fields); a wrong
// token, another account's path, a GET and a form without To are refused
// with Twilio's status and error code; every request is kept.
func TestAnAccountTakesOnlyItsOwnSignedMessages(t *testing.T) {
	p := New(t, Options{SID: "AC123", Token: "token"})
	msg := url.Values{"To": {"+15555550100"}, "From": {"+15005550006"}, "Body": {"hello"}}
	status, out := post(t, p.MessagesURL(), "AC123", "token", msg)
	if status != http.StatusCreated || out["status"] != "queued" || out["to"] != "+15555550100" || out["body"] != "hello" || !strings.HasPrefix(out["sid"].(string), "SM") {
		t.Fatalf("a good message: %d %v", status, out)
	}
	for _, c := range []struct {
		name, target, user string
		form               url.Values
		status             int
		code               float64
	}{
		{"wrong token", p.MessagesURL(), "AC123", msg, 401, 20003},
		{"no credentials", p.MessagesURL(), "", msg, 401, 20003},
		{"another account", p.URL + "/2010-04-01/Accounts/AC999/Messages.json", "AC123", msg, 404, 20404},
		{"no To", p.MessagesURL(), "AC123", url.Values{"Body": {"hello"}}, 400, 21604},
	} {
		pass := "token"
		if c.name == "wrong token" {
			pass = "guess"
		}
		if status, out := post(t, c.target, c.user, pass, c.form); status != c.status || out["code"] != c.code {
			t.Errorf("%s: %d %v, want %d with code %v", c.name, status, out, c.status, c.code)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, p.MessagesURL(), nil)
	req.SetBasicAuth("AC123", "token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %s, want 405", resp.Status)
	}
	reqs := p.Requests()
	if len(reqs) != 6 {
		t.Fatalf("%d requests kept, want 6", len(reqs))
	}
	if r := reqs[0]; r.Method != http.MethodPost || r.Path != "/2010-04-01/Accounts/AC123/Messages.json" || r.ContentType != "application/x-www-form-urlencoded" ||
		!r.HasAuth || r.User != "AC123" || r.Password != "token" || r.Form.Encode() != msg.Encode() || r.Status != http.StatusCreated {
		t.Errorf("the first request: %+v", r)
	}
	if sent := p.Sent(); len(sent) != 1 || sent[0].Form.Get("Body") != "hello" {
		t.Errorf("sent %+v, want the one good message", sent)
	}
}

// TestAGatewayFailsAsToldAndWaitSentWaits: without an account any path
// and no credentials are taken; the fail function's statuses are
// answered, and WaitSent returns once enough messages went through.
func TestAGatewayFailsAsToldAndWaitSentWaits(t *testing.T) {
	p := New(t, Options{Fail: func(n int) int {
		if n == 0 {
			return http.StatusServiceUnavailable
		}
		return http.StatusCreated
	}})
	msg := url.Values{"To": {"+15555550100"}, "Body": {"hello"}}
	if status, out := post(t, p.URL, "", "", msg); status != http.StatusServiceUnavailable || out["status"] != float64(503) {
		t.Fatalf("the first request: %d %v, want 503 as the fail function says", status, out)
	}
	second := make(chan error, 1)
	go func() { // owned by the test: ends after one request
		status, out, err := send(p.URL+"/any/path", "", "", msg)
		if err == nil && status != http.StatusCreated {
			err = fmt.Errorf("status %d %v, want 201", status, out)
		}
		second <- err
	}()
	if sent := p.WaitSent(t, 1, 10*time.Second); len(sent) != 1 || sent[0].Path != "/any/path" {
		t.Errorf("sent %+v", sent)
	}
	if err := <-second; err != nil {
		t.Errorf("the second request: %v", err)
	}
	if got := len(p.Requests()); got != 2 {
		t.Errorf("%d requests, want 2", got)
	}
}
