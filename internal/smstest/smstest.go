// Package smstest is a Twilio-shaped SMS provider for tests: an HTTP
// endpoint that takes a request of Twilio's Messages API (a form POST of
// To, From and Body, signed with the account's SID and auth token as Basic
// auth), keeps every request as it came, and answers as Twilio does.
package smstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Options are the provider's account and failures.
type Options struct {
	// SID and Token are the account's credentials. With a SID, only a
	// POST to the account's Messages.json with these as Basic auth is
	// taken (401 or 404 otherwise, as Twilio answers); without one, any
	// path and any or no credentials, as a gateway that takes Twilio's
	// form.
	SID, Token string
	// Fail, if set, gives the status of the nth request (from 0, counting
	// every request received) once it passed the checks above.
	Fail func(n int) int
}

// Request is one request the provider received, and its answer.
type Request struct {
	Method, Path, ContentType string
	HasAuth                   bool
	User, Password            string
	Form                      url.Values // the POST form
	Status                    int        // what the provider answered
}

// Provider is the running endpoint.
type Provider struct {
	URL string // the server's root; MessagesURL is the account's endpoint

	opts     Options
	mu       sync.Mutex
	requests []Request
	changed  chan struct{} // closed and replaced on every request
}

// New serves a provider until the test ends.
func New(t testing.TB, opts Options) *Provider {
	p := &Provider{opts: opts, changed: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// MessagesURL is where Twilio takes the account's messages.
func (p *Provider) MessagesURL() string {
	return p.URL + messagesPath(p.opts.SID)
}

func messagesPath(sid string) string { return "/2010-04-01/Accounts/" + sid + "/Messages.json" }

// twilioError is the body of Twilio's error answers.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, hasAuth := r.BasicAuth()
	formErr := r.ParseForm()
	p.mu.Lock()
	n := len(p.requests)
	status, refusal := p.answer(n, r, formErr, hasAuth, user, pass)
	p.requests = append(p.requests, Request{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"),
		HasAuth: hasAuth, User: user, Password: pass, Form: r.PostForm, Status: status})
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if refusal != nil {
		json.NewEncoder(w).Encode(refusal)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{
		"sid": fmt.Sprintf("SM%032x", n), "account_sid": p.opts.SID, "status": "queued",
		"to": r.PostForm.Get("To"), "from": r.PostForm.Get("From"), "body": r.PostForm.Get("Body"),
	})
}

// answer is the status for request n, with Twilio's error when it is one.
func (p *Provider) answer(n int, r *http.Request, formErr error, hasAuth bool, user, pass string) (int, *twilioError) {
	refuse := func(status, code int, message string) (int, *twilioError) {
		return status, &twilioError{Code: code, Message: message, MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), Status: status}
	}
	switch {
	case p.opts.SID != "" && (!hasAuth || user != p.opts.SID || pass != p.opts.Token):
		return refuse(http.StatusUnauthorized, 20003, "Authenticate")
	case p.opts.SID != "" && r.URL.Path != messagesPath(p.opts.SID):
		return refuse(http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	case r.Method != http.MethodPost:
		return refuse(http.StatusMethodNotAllowed, 20004, "Method not allowed")
	case formErr != nil:
		return refuse(http.StatusBadRequest, 21100, "Invalid form: "+formErr.Error())
	case r.PostForm.Get("To") == "":
		return refuse(http.StatusBadRequest, 21604, "A 'To' phone number is required.")
	case r.PostForm.Get("Body") == "":
		return refuse(http.StatusBadRequest, 21602, "Message body is required.")
	}
	status := http.StatusCreated
	if p.opts.Fail != nil {
		status = p.opts.Fail(n)
	}
	if status >= 300 {
		return refuse(status, 20500, http.StatusText(status))
	}
	return status, nil
}

// Requests are every request received, in order.
func (p *Provider) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Sent are the requests answered 201: the messages sent.
func (p *Provider) Sent() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent()
}

func (p *Provider) sent() []Request {
	var out []Request
	for _, r := range p.requests {
		if r.Status == http.StatusCreated {
			out = append(out, r)
		}
	}
	return out
}

// WaitSent returns the messages sent once there are at least n, and fails
// the test if there are fewer after timeout.
func (p *Provider) WaitSent(t testing.TB, n int, timeout time.Duration) []Request {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		sent, changed := p.sent(), p.changed
		p.mu.Unlock()
		if len(sent) >= n {
			return sent
		}
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("smstest: %d messages sent after %v, want at least %d", len(sent), timeout, n)
		}
	}
}
