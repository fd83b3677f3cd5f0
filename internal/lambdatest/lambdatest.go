// Package lambdatest is a Lambda-compatible function for tests: an HTTP
// endpoint that acknowledges every record, keeps each by its record id, and
// can be taken down to refuse whole invocations.
package lambdatest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/riffle-sql/riffle/destination"
)

// Function is the endpoint. Down makes it answer 503 to every invocation.
type Function struct {
	URL  string
	Down atomic.Bool

	mu       sync.Mutex
	byID     map[string]string
	received int // records acknowledged, repeats included
	refused  int // records refused while down
}

// New serves a function until the test ends. A record id that comes back
// with other data fails the test: ids must be stable.
func New(t testing.TB) *Function {
	f := &Function{byID: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e destination.Event
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.Down.Load() {
			f.refused += len(e.Records)
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var resp destination.Response
		for _, rec := range e.Records {
			f.received++
			if old, ok := f.byID[rec.RecordID]; ok && old != string(rec.Data) {
				t.Errorf("record id %s came with %q, then %q", rec.RecordID, old, rec.Data)
			}
			f.byID[rec.RecordID] = string(rec.Data)
			resp.Records = append(resp.Records, destination.Result{RecordID: rec.RecordID, Result: destination.Ok})
		}
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Accepting is an in-process function that acknowledges every record:
// for tests about what goes around a delivery, not the delivery itself.
type Accepting struct{}

// Invoke acknowledges every record of the event.
func (Accepting) Invoke(_ context.Context, e destination.Event) (destination.Response, error) {
	var r destination.Response
	for _, rec := range e.Records {
		r.Records = append(r.Records, destination.Result{RecordID: rec.RecordID, Result: destination.Ok})
	}
	return r, nil
}

// Rows are the rows acknowledged, one per record id.
func (f *Function) Rows() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.byID))
	for _, data := range f.byID {
		out = append(out, data)
	}
	return out
}

// Counts are the records acknowledged (repeats included) and refused.
func (f *Function) Counts() (received, refused int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.received, f.refused
}
