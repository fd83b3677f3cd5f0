// Package mailpit runs a Mailpit server (github.com/axllent/mailpit, an SMTP
// server that keeps what it receives and shows it over an HTTP API) for a
// test, so email is tested by sending real SMTP and reading it back.
//
// The mailpit binary is looked up on PATH, then in $(go env GOPATH)/bin;
// scripts/setup installs it. A missing binary fails the test: it is never
// skipped. Each server listens on loopback ports of its own and keeps its
// database in the test's temporary directory.
package mailpit

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/testproc"
)

// StartTimeout bounds how long Start waits for the server to be ready.
const StartTimeout = 20 * time.Second

// Server is a running Mailpit.
type Server struct {
	smtpPort int
	api      string // http://127.0.0.1:PORT
	client   *http.Client
}

// Address is a mailbox of a message.
type Address struct {
	Name    string
	Address string
}

// Message is one message Mailpit received.
type Message struct {
	ID        string // Mailpit's id
	MessageID string // the Message-ID header, without <>
	From      Address
	To        []Address
	Subject   string // decoded
	Date      time.Time
	Text      string              // the plain-text body, decoded
	Headers   map[string][]string // as sent (encoded words left encoded), keys canonical: "Message-Id"
}

// Start runs a Mailpit for the test and stops it when the test ends. It
// fails the test if the binary is missing or the server does not come up.
// Flags are passed on to mailpit, e.g. "--smtp-tls-cert", FILE.
func Start(t testing.TB, flags ...string) *Server {
	t.Helper()
	bin, err := testproc.Binary("mailpit")
	if err != nil {
		t.Fatal(err)
	}
	return testproc.Retry(t, 3, "mailpit", func() (*Server, error) { return start(t, bin, flags) })
}

func start(t testing.TB, bin string, flags []string) (*Server, error) {
	t.Helper()
	smtpPort, err := testproc.FreePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := testproc.FreePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	args := []string{
		"--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort),
		"--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--disable-version-check",
		"--smtp-disable-rdns",
		// Any AUTH is accepted, over plain text too, so clients that
		// authenticate can be tested.
		"--smtp-auth-accept-any",
		"--smtp-auth-allow-insecure",
	}
	cmd := exec.Command(bin, append(args, flags...)...)
	cmd.Dir = dir
	// MP_* variables configure mailpit too: keep the test's out.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "MP_") })
	cmd.Env = append(cmd.Env, "TMPDIR="+dir)
	p, err := testproc.Start(t, cmd)
	if err != nil {
		return nil, err
	}
	s := &Server{smtpPort: smtpPort, api: fmt.Sprintf("http://127.0.0.1:%d", httpPort), client: &http.Client{Timeout: 10 * time.Second}}
	if err := p.WaitReady(StartTimeout, testproc.HTTPReady(s.api+"/readyz", http.StatusOK)); err != nil {
		return nil, err
	}
	return s, nil
}

// SMTPHost is the host to send mail to.
func (s *Server) SMTPHost() string { return "127.0.0.1" }

// SMTPPort is the port to send mail to.
func (s *Server) SMTPPort() int { return s.smtpPort }

// SMTPAddr is SMTPHost:SMTPPort.
func (s *Server) SMTPAddr() string {
	return net.JoinHostPort(s.SMTPHost(), fmt.Sprint(s.smtpPort))
}

// URL is the base URL of the web UI and API.
func (s *Server) URL() string { return s.api }

// Messages returns every message received so far, oldest first. It must
// be called from the test's goroutine (it fails the test on an error).
func (s *Server) Messages(t testing.TB) []Message {
	t.Helper()
	msgs, err := s.messages(context.Background())
	if err != nil {
		t.Fatalf("mailpit: %v", err)
	}
	return msgs
}

// WaitFor polls until at least n messages have arrived and returns them
// all, oldest first; it fails the test if they have not within timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		msgs, err := s.messages(context.Background())
		if err != nil {
			t.Fatalf("mailpit: %v", err)
		}
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit: %d messages after %v, want at least %d: %+v", len(msgs), timeout, n, msgs)
		}
		<-tick.C
	}
}

// DeleteAll removes every message.
func (s *Server) DeleteAll(t testing.TB) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, s.api+"/api/v1/messages", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("mailpit: delete messages: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit: delete messages: %s", resp.Status)
	}
}

type summary struct {
	ID string
}

type detail struct {
	ID        string
	MessageID string
	From      Address
	To        []Address
	Subject   string
	Date      time.Time
	Text      string
}

func (s *Server) messages(ctx context.Context) ([]Message, error) {
	const page = 200
	var ids []string
	for start := 0; ; start += page {
		var list struct {
			Total    int
			Messages []summary
		}
		if err := s.get(ctx, fmt.Sprintf("/api/v1/messages?start=%d&limit=%d", start, page), &list); err != nil {
			return nil, err
		}
		for _, m := range list.Messages {
			ids = append(ids, m.ID)
		}
		if len(list.Messages) < page || len(ids) >= list.Total {
			break
		}
	}
	slices.Reverse(ids) // the API lists the newest first
	msgs := make([]Message, 0, len(ids))
	for _, id := range ids {
		var d detail
		if err := s.get(ctx, "/api/v1/message/"+url.PathEscape(id), &d); err != nil {
			return nil, err
		}
		var headers map[string][]string
		if err := s.get(ctx, "/api/v1/message/"+url.PathEscape(id)+"/headers", &headers); err != nil {
			return nil, err
		}
		msgs = append(msgs, Message{ID: d.ID, MessageID: d.MessageID, From: d.From, To: d.To, Subject: d.Subject, Date: d.Date, Text: d.Text, Headers: headers})
	}
	return msgs, nil
}

func (s *Server) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.api+path, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}
