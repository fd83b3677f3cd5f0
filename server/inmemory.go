package server

import (
	"bytes"
	"io"
	"net/http"
)

// inMemory serves a client's requests with a handler, without a network:
// the console's generator senders call this server's own API through it.
type inMemory struct{ h http.Handler }

func (t inMemory) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		defer r.Body.Close()
	} else {
		r.Body = http.NoBody // a server's request always has a body
	}
	w := &memoryWriter{header: http.Header{}}
	t.h.ServeHTTP(w, r)
	w.WriteHeader(http.StatusOK) // a handler that wrote nothing answered 200
	return &http.Response{
		Status:        http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Body:          io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: int64(w.body.Len()),
		Request:       r,
	}, nil
}

// memoryWriter keeps a response in memory; like a server, it sends the
// headers as they are at the first WriteHeader or Write.
type memoryWriter struct {
	header http.Header
	sent   http.Header
	status int
	body   bytes.Buffer
}

func (w *memoryWriter) Header() http.Header { return w.header }

func (w *memoryWriter) WriteHeader(status int) {
	if w.sent != nil {
		return
	}
	w.status = status
	w.sent = w.header.Clone()
}

func (w *memoryWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}
