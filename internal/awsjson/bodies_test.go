package awsjson

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// countingBody is a request body that counts what the server reads of it.
type countingBody struct {
	left, read int
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), b.left)
	for i := range p[:n] {
		p[i] = 'a'
	}
	b.left -= n
	b.read += n
	return n, nil
}

func (b *countingBody) Close() error { return nil }

// TestABodyIsReadOnlyOnceItsHeadersPass: a request announcing more than
// its operation takes, or (with credentials) not signed with a key of the
// server, is refused from its headers: nothing of its body is read, so
// unsigned 16 MiB requests cost the server nothing. An operation without a
// limit of its own takes 1 MiB; one with a limit takes that much.
func TestABodyIsReadOnlyOnceItsHeadersPass(t *testing.T) {
	echo := func(ctx context.Context, body []byte) (any, error) { return map[string]int{"Bytes": len(body)}, nil }
	for _, c := range []struct {
		name        string
		credentials map[string]string
		target      string
		announce    int // the Content-Length header (-1: none, chunked)
		size        int
		auth        string
		status      int
		maxRead     int
	}{
		{"unsigned 16 MiB under --auth", map[string]string{"AKID": "secret"}, "T_1.Put", -1, 16 << 20, "AWS4-HMAC-SHA256 Credential=NOPE/20260101/us-east-1/t/aws4_request, SignedHeaders=host;x-amz-target, Signature=00", 400, 0},
		{"a malformed signature under --auth", map[string]string{"AKID": "secret"}, "T_1.Put", -1, 16 << 20, "AWS4-HMAC-SHA256 nonsense", 400, 0},
		{"announced over the operation's limit", nil, "T_1.Small", 2 << 20, 2 << 20, "AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/t/aws4_request, SignedHeaders=host, Signature=00", 413, 0},
		{"over the default limit, not announced", nil, "T_1.Small", -1, 2 << 20, "AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/t/aws4_request, SignedHeaders=host, Signature=00", 413, 1<<20 + 64<<10},
		{"within a larger limit", nil, "T_1.Put", 5 << 20, 5 << 20, "AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/t/aws4_request, SignedHeaders=host, Signature=00", 200, 5 << 20},
	} {
		s := New(Options{Credentials: c.credentials})
		s.Register("T_1", map[string]Operation{"Put": echo, "Small": echo})
		s.Limit("T_1", "Put", 6<<20)
		body := &countingBody{left: c.size}
		req := httptest.NewRequest(http.MethodPost, "/", nil)
		req.Body = body
		req.ContentLength = int64(c.announce)
		req.Header.Set("X-Amz-Target", c.target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Authorization", c.auth)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != c.status || body.read > c.maxRead {
			t.Errorf("%s: %d %s, read %d bytes; want %d, at most %d read", c.name, rec.Code, strings.TrimSpace(rec.Body.String()), body.read, c.status, c.maxRead)
		}
	}
}

// TestABodyThatTricklesIsCutOff: a client that sends its headers, then a
// byte now and then, is answered and cut off once the body timeout passes,
// instead of holding its connection for as long as it likes.
func TestABodyThatTricklesIsCutOff(t *testing.T) {
	s := New(Options{BodyTimeout: 200 * time.Millisecond})
	s.Register("T_1", map[string]Operation{"Put": func(ctx context.Context, body []byte) (any, error) { return map[string]int{}, nil }})
	srv := httptest.NewServer(s)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: T_1.Put\r\nAuthorization: AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/t/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Length: 1000000\r\n\r\n{")
	// Trickle until the server gives up on the body: it answers, or closes.
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, conn)
		close(closed)
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute) // a bound for the test, not the assertion
	for {
		select {
		case <-closed:
			return
		case <-tick.C:
			conn.Write([]byte(" "))
		case <-deadline:
			t.Fatal("a trickling body held its connection for a minute")
		}
	}
}

// trickleRequest sends a request's head and then a byte of its body every
// 50 ms until the server answers and closes the connection; it returns
// the answer's status and __type.
func trickleRequest(t *testing.T, handler http.Handler, head string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(handler)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	type answer struct {
		status int
		kind   string
		closed bool
		err    error
	}
	answers := make(chan answer, 1)
	go func() {
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			answers <- answer{err: err}
			return
		}
		body, _ := io.ReadAll(resp.Body)
		var shape struct {
			Type string `json:"__type"`
		}
		json.Unmarshal(body, &shape)
		// Closed: an end of file, or a reset when the server closed with
		// some of the trickled bytes unread.
		_, err = br.ReadByte()
		answers <- answer{status: resp.StatusCode, kind: shape.Type, closed: err == io.EOF || errors.Is(err, syscall.ECONNRESET), err: err}
	}()
	io.WriteString(conn, head)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	bound := time.After(20 * time.Second) // a bound for the test, not the assertion
	for {
		select {
		case a := <-answers:
			if a.status == 0 {
				t.Fatalf("no answer: %v", a.err)
			}
			if !a.closed {
				t.Fatalf("answered %d %s, then the connection was not closed: %v", a.status, a.kind, a.err)
			}
			return a.status, a.kind
		case <-tick.C:
			conn.Write([]byte(" "))
		case <-bound:
			t.Fatal("a body sent a byte at a time held its connection, unanswered, for 20 s")
		}
	}
}

// TestASmallBodyThatTricklesIsCutOffToo: a body under the 256 KiB that
// net/http reads after the handler, sent a byte at a time, is cut off at
// the body timeout like a large one, whether the front door refused the
// request from its headers (unsigned), gave up reading it (the server's
// key, the signature not yet checkable), or another handler never read
// it (the console's GET / behind BodyTimeLimit): the client gets its
// answer and the connection is closed.
func TestASmallBodyThatTricklesIsCutOffToo(t *testing.T) {
	s := New(Options{BodyTimeout: 200 * time.Millisecond, Credentials: map[string]string{"AKID": "secret"}})
	s.Register("T_1", map[string]Operation{"Put": func(ctx context.Context, body []byte) (any, error) { return map[string]int{}, nil }})
	now := time.Now().UTC()
	signedHead := fmt.Sprintf("X-Amz-Date: %s\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/%s/us-east-1/t/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=%064d\r\n",
		now.Format("20060102T150405Z"), now.Format("20060102"), 0)
	console := BodyTimeLimit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html>the console</html>")
	}), 200*time.Millisecond)
	for _, c := range []struct {
		name    string
		handler http.Handler
		head    string
		status  int
		kind    string
	}{
		{"unsigned", s, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: T_1.Put\r\nContent-Length: 1000\r\n\r\n{", 403, "MissingAuthenticationTokenException"},
		{"the server's key", s, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: T_1.Put\r\n" + signedHead + "Content-Length: 1000\r\n\r\n{", 400, "SerializationException"},
		{"GET / behind BodyTimeLimit", console, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, kind := trickleRequest(t, c.handler, c.head)
			if status != c.status || kind != c.kind {
				t.Errorf("answered %d %q, want %d %q", status, kind, c.status, c.kind)
			}
		})
	}
}

// TestBodiesHeldAtOnceAreBounded: the bodies being read and handled at
// once take at most Options.BodyMemory; a request beyond it is answered
// 503 ServiceUnavailableException (which the SDKs retry) without its body
// being read, and goes through once the others are done. (A body must be
// read whole before its signature can be checked, and a request can name
// the server's key without knowing its secret.)
func TestBodiesHeldAtOnceAreBounded(t *testing.T) {
	started, release := make(chan struct{}, 1), make(chan struct{})
	s := New(Options{BodyMemory: 1 << 20})
	s.Register("T_1", map[string]Operation{
		"Hold": func(ctx context.Context, body []byte) (any, error) {
			started <- struct{}{}
			<-release
			return map[string]int{"Bytes": len(body)}, nil
		},
		"Put": func(ctx context.Context, body []byte) (any, error) { return map[string]int{"Bytes": len(body)}, nil },
	})
	send := func(target string, size int) (int, string, int) {
		body := &countingBody{left: size}
		req := httptest.NewRequest(http.MethodPost, "/", nil)
		req.Body, req.ContentLength = body, int64(size)
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/t/aws4_request, SignedHeaders=host, Signature=00")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var e struct {
			Type string `json:"__type"`
		}
		json.Unmarshal(rec.Body.Bytes(), &e)
		return rec.Code, e.Type, body.read
	}
	held := make(chan int)
	go func() { code, _, _ := send("T_1.Hold", 700<<10); held <- code }()
	<-started // 700 KiB held
	if code, kind, read := send("T_1.Put", 700<<10); code != http.StatusServiceUnavailable || kind != "ServiceUnavailableException" || read != 0 {
		t.Errorf("a second 700 KiB body while one is held: %d %s, %d bytes read; want 503 ServiceUnavailableException, none read", code, kind, read)
	}
	if code, _, _ := send("T_1.Put", 300<<10); code != http.StatusOK {
		t.Errorf("a 300 KiB body beside the held one: %d, want 200 (within the budget)", code)
	}
	close(release)
	if code := <-held; code != http.StatusOK {
		t.Errorf("the held request: %d", code)
	}
	if code, _, _ := send("T_1.Put", 700<<10); code != http.StatusOK {
		t.Errorf("the second body once the first is done: %d, want 200", code)
	}
}
