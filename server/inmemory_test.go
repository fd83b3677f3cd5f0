package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestInMemoryAnswersAsAServerWould: the client sees the handler's status,
// the headers as they were when it started writing, and the body; the
// handler sees the request's body.
func TestInMemoryAnswersAsAServerWould(t *testing.T) {
	client := &http.Client{Transport: inMemory{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Amzn-ErrorType", "Teapot")
		w.WriteHeader(http.StatusTeapot)
		w.Header().Set("X-Late", "too late")
		io.WriteString(w, "you sent "+string(got))
	})}}
	resp, err := client.Post("http://riffle.internal/", "text/plain", strings.NewReader("tea"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTeapot || resp.Header.Get("X-Amzn-ErrorType") != "Teapot" || resp.Header.Get("X-Late") != "" || string(body) != "you sent tea" {
		t.Fatalf("%d %v %q", resp.StatusCode, resp.Header, body)
	}
	resp, err = (&http.Client{Transport: inMemory{http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}}).Get("http://riffle.internal/")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("a handler that writes nothing: %v %v", resp, err)
	}
}
