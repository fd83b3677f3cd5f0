package generator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

type nullTarget struct{}

func (nullTarget) Limits() (int, int) { return 500, 4 << 20 }
func (nullTarget) Live() bool         { return true }
func (nullTarget) Put(ctx context.Context, recs []Record) ([]bool, error) {
	return make([]bool, len(recs)), nil
}

// TestCloseStopsAStartUnderWay: a start under way when Close runs is not
// registered after it (the server is stopping), and its run ends.
func TestCloseStopsAStartUnderWay(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s := NewService(func(ctx context.Context, stream string) (Target, error) {
		close(entered)
		<-release
		return nullTarget{}, nil
	})
	mux := http.NewServeMux()
	s.Register(mux, func(h http.Handler) http.Handler { return h })
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/riffle/v1/generator/senders", strings.NewReader(`{"name":"x","template":"{}","stream":"s","rate":10}`))
		req.Header.Set("Content-Type", "application/json")
		mux.ServeHTTP(rec, req)
		done <- rec
	}()
	<-entered
	s.Close() // the server shuts down
	close(release)
	select {
	case rec := <-done:
		if rec.Code == http.StatusCreated {
			t.Errorf("a sender was started after Close returned: %d %s", rec.Code, rec.Body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("start hung")
	}
}

// TestAPageOfAnotherSiteCannotStartASender: a cross-site form post
// (text/plain, no preflight) is refused, before any sender starts.
func TestAPageOfAnotherSiteCannotStartASender(t *testing.T) {
	started := false
	s := NewService(func(ctx context.Context, stream string) (Target, error) {
		started = true
		return nullTarget{}, nil
	})
	defer s.Close()
	mux := http.NewServeMux()
	s.Register(mux, func(h http.Handler) http.Handler { return h })
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/riffle/v1/generator/senders", strings.NewReader(`{"name":"x","template":"{}","stream":"s","rate":10}`))
	req.Header.Set("Content-Type", "text/plain")
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnsupportedMediaType || started {
		t.Errorf("a text/plain post: %d, started %v", rec.Code, started)
	}
}

// TestTestRecordsAreDatedByTheServicesClock: "Test template" renders the
// date helpers at the service's clock.
func TestTestRecordsAreDatedByTheServicesClock(t *testing.T) {
	s := NewService(func(ctx context.Context, stream string) (Target, error) { return nullTarget{}, nil })
	defer s.Close()
	s.Clock = clockwork.NewFakeClockAt(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC))
	mux := http.NewServeMux()
	s.Register(mux, func(h http.Handler) http.Handler { return h })
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/riffle/v1/generator/test", strings.NewReader(`{"template":"{{date.now(\"YYYY-MM-DD HH:mm\")}}"}`))
	req.Header.Set("Content-Type", "application/json")
	mux.ServeHTTP(rec, req)
	var got struct{ Records []string }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
	}
	if len(got.Records) != 5 || got.Records[0] != "2031-05-06 07:08" || got.Records[4] != "2031-05-06 07:08" {
		t.Errorf("records %q, want five dated 2031-05-06 07:08", got.Records)
	}
}
