package destination

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/riffle-sql/riffle/internal/badport"
	"github.com/riffle-sql/riffle/internal/logtest"
	"github.com/riffle-sql/riffle/internal/safedial"
)

// TestAFunctionsResponseOverLambdasLimitSaysSo: a function URL answering
// more than Lambda's 6 MB gets an error that says so, not "unexpected end
// of JSON input".
func TestAFunctionsResponseOverLambdasLimitSaysSo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"records":[{"recordId":"` + strings.Repeat("x", 7_000_000) + `","result":"Ok"}]}`))
	}))
	defer srv.Close()
	f, err := NewHTTPFunction(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Invoke(context.Background(), Event{Records: []EventRecord{{RecordID: "1", Data: []byte("x")}}})
	if err == nil || !strings.Contains(err.Error(), "over 6000000 bytes") {
		t.Fatalf("a 7 MB response: %v, want the limit named", err)
	}
}

// TestAFunctionURLsSecretsAreNotShown: the password and the query's token
// of a function URL appear neither in the function's name (logs, metrics,
// DescribeApplication's view of it) nor in its errors, and still reach the
// function.
func TestAFunctionURLsSecretsAreNotShown(t *testing.T) {
	var gotToken, gotPassword string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotToken = r.URL.Query().Get("token")
		_, gotPassword, _ = r.BasicAuth()
		http.Error(w, "no", http.StatusBadGateway)
	}))
	defer srv.Close()
	raw := strings.Replace(srv.URL, "http://", "http://alice:hunter2@", 1) + "/invoke?token=s3cr3t&v=1"
	f, err := NewHTTPFunction(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Invoke(context.Background(), Event{Records: []EventRecord{{RecordID: "1", Data: []byte("x")}}})
	if gotToken != "s3cr3t" || gotPassword != "hunter2" {
		t.Fatalf("the function got token %q and password %q", gotToken, gotPassword)
	}
	for what, text := range map[string]string{"name": f.String(), "error": err.Error()} {
		if strings.Contains(text, "s3cr3t") || strings.Contains(text, "hunter2") {
			t.Errorf("the %s shows a secret: %s", what, text)
		}
	}
	// An error net/http makes names the URL too: it is redacted there.
	dead := strings.Replace(raw, srv.Listener.Addr().String(), "127.0.0.1:1", 1)
	g, _ := NewHTTPFunction(dead, nil)
	if _, err := g.Invoke(context.Background(), Event{}); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("a refused connection's error: %v", err)
	}
}

// TestAnAPIFunctionsFailuresAllSayTheSame: a function URL given through
// the API fails with one error whatever went wrong (an address refused,
// nothing listening, an answer that is not a success, one that is not
// HTTP), so its errors, which users read, tell no open port from a closed
// one and show nothing of an answer; the server's log has each cause.
func TestAnAPIFunctionsFailuresAllSayTheSame(t *testing.T) {
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		http.Error(w, "root:x:0:0:root:/root:/bin/bash", http.StatusInternalServerError)
	}))
	defer srv.Close()
	notHTTP := badport.NotHTTP(t)
	closedURL := "http://" + badport.Closed(t) + "/invoke"

	var log logtest.Buffer
	invoke := func(guard safedial.Guard, raw string) string {
		f, err := NewAPIFunction(raw, guard.Client(), log.Logger())
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Invoke(context.Background(), Event{Records: []EventRecord{{RecordID: "1", Data: []byte("x")}}})
		if !errors.Is(err, safedial.ErrUnusable) {
			t.Fatalf("%s: %v, want ErrUnusable", raw, err)
		}
		return strings.ReplaceAll(err.Error(), raw, "URL")
	}
	refused := invoke(safedial.Guard{}, srv.URL+"/invoke")
	if seen.Load() != 0 {
		t.Fatal("the refused function's server saw a request")
	}
	allowed := safedial.Guard{AllowPrivate: true}
	for what, raw := range map[string]string{"an answer of 500": srv.URL + "/invoke", "a closed port": closedURL, "a port that is not HTTP": "http://" + notHTTP + "/invoke"} {
		if got := invoke(allowed, raw); got != refused {
			t.Errorf("%s: %q, the refused address: %q", what, got, refused)
		}
	}
	if seen.Load() != 1 {
		t.Errorf("the allowed function's server saw %d requests", seen.Load())
	}
	for _, cause := range []string{"not a public address", "500 Internal Server Error", "connection refused", "malformed HTTP"} {
		if len(log.Lines("ERROR", cause)) != 1 {
			t.Errorf("the log does not say %q once:\n%s", cause, log.String())
		}
	}
}
