package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"strings"
	"syscall"
	"time"
)

// slowKind is one way of holding a connection with little traffic: what
// is sent at first, then one byte of trickle each interval.
type slowKind struct {
	name    string
	start   func(addr string) string
	trickle string
}

// slowBody is the length a slow body announces: under the 256 KiB that
// net/http reads of a body its handler left unread, so the server cannot
// simply close instead of reading it.
const slowBody = 100_000

var slowKinds = []slowKind{
	{name: "partial header, a byte of a header line at a time", trickle: "a",
		start: func(addr string) string {
			return "POST / HTTP/1.1\r\nHost: " + addr + "\r\nX-Amz-Target: Kinesis_20131202.PutRecords\r\nX-Soak: "
		}},
	{name: "unsigned PutRecords, its body a byte at a time", trickle: " ",
		start: func(addr string) string {
			return fmt.Sprintf("POST / HTTP/1.1\r\nHost: %s\r\nX-Amz-Target: Kinesis_20131202.PutRecords\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: %d\r\n\r\n{", addr, slowBody)
		}},
	{name: "PutRecords with the server's key and a wrong signature, its body a byte at a time", trickle: " ",
		start: func(addr string) string {
			return fmt.Sprintf("POST / HTTP/1.1\r\nHost: %s\r\nX-Amz-Target: Kinesis_20131202.PutRecords\r\nContent-Type: application/x-amz-json-1.1\r\n%sContent-Length: %d\r\n\r\n{", addr, wrongSignature(keyID), slowBody)
		}},
	{name: "GET / (the console) announcing a body, sent a byte at a time", trickle: " ",
		start: func(addr string) string {
			return fmt.Sprintf("GET / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", addr, slowBody)
		}},
}

// wrongSignature is an Authorization header (and its date) naming key,
// well formed and dated now, whose signature is wrong: the server can
// only tell once it has read the body.
func wrongSignature(key string) string {
	now := time.Now().UTC()
	return fmt.Sprintf("X-Amz-Date: %s\r\nAuthorization: AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=%064d\r\n",
		now.Format("20060102T150405Z"), key, now.Format("20060102"), 0)
}

// slowConnection holds one slow connection of its kind open until ctx
// ends, opening another each time the server closes it, and tallies how
// each ended.
func slowConnection(ctx context.Context, addr string, kind slowKind, interval time.Duration, t *tally) {
	for ctx.Err() == nil {
		outcome, took, ok := holdSlow(ctx, addr, kind, interval)
		if !ok {
			continue
		}
		t.add(kind.name, outcome, took)
		backOff(ctx, outcome)
	}
}

// backOff waits before the next connection when the server refused the
// last: as its Retry-After asks after a 503 (the connection limit), a
// moment when it could not be reached.
func backOff(ctx context.Context, outcome string) {
	switch {
	case strings.HasPrefix(outcome, "answered 503"):
		sleep(ctx, time.Second)
	case strings.HasPrefix(outcome, "could not connect"):
		sleep(ctx, 200*time.Millisecond)
	}
}

// dial connects to the server and starts reading its answer (readAnswer,
// with waitClose). Without a connection it returns the outcome to count
// instead: a failure, or none once ctx has ended.
func dial(ctx context.Context, addr string, waitClose bool) (net.Conn, <-chan answer, time.Time, string, bool) {
	var d net.Dialer
	start := time.Now()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, start, "", false
		}
		return nil, nil, start, "could not connect: " + how(err), true
	}
	answers := make(chan answer, 1)
	go func() { answers <- readAnswer(conn, waitClose) }()
	return conn, answers, start, "", true
}

func holdSlow(ctx context.Context, addr string, kind slowKind, interval time.Duration) (string, time.Duration, bool) {
	conn, answers, start, failed, counted := dial(ctx, addr, true)
	if conn == nil {
		return failed, time.Since(start), counted
	}
	defer conn.Close()
	conn.Write([]byte(kind.start(addr)))
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			conn.Close()
			<-answers
			return "still open at the end of the soak", time.Since(start), true
		case a := <-answers:
			return a.outcome, a.at.Sub(start), true
		case <-tick.C:
			conn.Write([]byte(kind.trickle)) // a closed connection shows in the answer
		}
	}
}

// answer is what the server did with a request: its answer (status and
// __type) and whether it closed the connection, or how it cut it.
type answer struct {
	outcome string
	at      time.Time
}

func readAnswer(conn net.Conn, waitClose bool) answer {
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	at := time.Now()
	if err != nil {
		return answer{outcome: "no answer, " + how(err), at: at}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	kind := resp.Header.Get("X-Amzn-ErrorType")
	var shape struct {
		Type string `json:"__type"`
	}
	if json.Unmarshal(body, &shape) == nil && shape.Type != "" {
		kind = shape.Type
	}
	outcome := strings.TrimSpace(fmt.Sprintf("answered %d %s", resp.StatusCode, kind))
	if !waitClose {
		return answer{outcome: outcome, at: at}
	}
	// Then the server closes the connection, or keeps it for another
	// request.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); errors.Is(err, os.ErrDeadlineExceeded) {
		return answer{outcome: outcome + ", connection kept open", at: at}
	} else if err != nil {
		return answer{outcome: outcome + ", then " + how(err), at: at}
	}
	return answer{outcome: outcome + ", then more bytes", at: at}
}

// how names the way a connection ended.
func how(err error) string {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, net.ErrClosed):
		return "closed by the soak"
	}
	return err.Error()
}

// oversizedKind is a put too large or not signed right, which the server
// must refuse without holding its body.
type oversizedKind struct {
	name    string
	auth    func() string
	length  int
	chunked bool // no Content-Length: the server finds the size by reading
}

var oversizedKinds = []oversizedKind{
	{name: "16 MiB PutRecords, unsigned", auth: func() string { return "" }, length: 16 << 20},
	{name: "16 MiB PutRecords, a key the server does not have", auth: func() string { return wrongSignature("AKIDNOTTHESERVERS") }, length: 16 << 20},
	{name: "16 MiB PutRecords, the server's key, a wrong signature", auth: func() string { return wrongSignature(keyID) }, length: 16 << 20},
	{name: "16 MiB PutRecords chunked (no length), the server's key, a wrong signature", auth: func() string { return wrongSignature(keyID) }, length: 16 << 20, chunked: true},
	{name: "7.5 MiB PutRecords (under the 8 MiB limit), the server's key, a wrong signature", auth: func() string { return wrongSignature(keyID) }, length: 15 << 19},
}

// oversizedBodies sends oversized bodies one after another until ctx
// ends, each kind in turn (worker i starts at kind i).
func oversizedBodies(ctx context.Context, addr string, worker int, t *tally) {
	for n := worker; ctx.Err() == nil; n++ {
		kind := oversizedKinds[n%len(oversizedKinds)]
		outcome, took, ok := sendOversized(ctx, addr, kind)
		if !ok {
			continue
		}
		t.add(kind.name, outcome, took)
		backOff(ctx, outcome)
	}
}

func sendOversized(ctx context.Context, addr string, kind oversizedKind) (string, time.Duration, bool) {
	conn, answers, start, failed, counted := dial(ctx, addr, false)
	if conn == nil {
		return failed, time.Since(start), counted
	}
	defer conn.Close()
	length := fmt.Sprintf("Content-Length: %d\r\n", kind.length)
	if kind.chunked {
		length = "Transfer-Encoding: chunked\r\n"
	}
	written := make(chan struct{})
	go func() {
		defer close(written)
		fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nX-Amz-Target: Kinesis_20131202.PutRecords\r\nContent-Type: application/x-amz-json-1.1\r\n%s%s\r\n", addr, kind.auth(), length)
		var body io.Writer = conn
		var chunks io.WriteCloser
		if kind.chunked {
			chunks = httputil.NewChunkedWriter(conn)
			body = chunks
		}
		if err := writePut(body, kind.length); err != nil {
			return // the server stopped reading: expected
		}
		if chunks != nil {
			chunks.Close()
			io.WriteString(conn, "\r\n")
		}
	}()
	var a answer
	select {
	case a = <-answers:
	case <-ctx.Done():
		conn.Close()
		<-answers
		<-written
		return "", 0, false
	}
	conn.Close()
	<-written
	return a.outcome, a.at.Sub(start), true
}

// writePut writes a PutRecords body of n bytes: one record whose data is
// n bytes of base64, less the JSON around it.
func writePut(w io.Writer, n int) error {
	head := `{"StreamName":"` + streamName + `","Records":[{"PartitionKey":"k","Data":"`
	tail := `"}]}`
	if _, err := io.WriteString(w, head); err != nil {
		return err
	}
	chunk := bytes.Repeat([]byte("A"), 64<<10)
	for left := n - len(head) - len(tail); left > 0; left -= len(chunk) {
		if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, tail)
	return err
}
