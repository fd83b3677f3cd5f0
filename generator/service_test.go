package generator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/riffle-sql/riffle/internal/poll"
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

// TestAStoppedSenderKeepsItsTotals: a stop ends a sender but keeps it,
// with its counters, as "stopped"; a sender that reaches its count is
// "done"; the list says since when the service has its senders.
func TestAStoppedSenderKeepsItsTotals(t *testing.T) {
	s := NewService(func(ctx context.Context, stream string) (Target, error) { return nullTarget{}, nil })
	defer s.Close()
	mux := http.NewServeMux()
	s.Register(mux, func(h http.Handler) http.Handler { return h })
	do := func(method, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		mux.ServeHTTP(rec, req)
		return rec
	}
	list := func() ([]ServiceSender, string) {
		rec := do("GET", "/riffle/v1/generator/senders", "")
		var out []ServiceSender
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
		}
		return out, rec.Header().Get(SinceHeader)
	}
	if rec := do("POST", "/riffle/v1/generator/senders", `{"name":"forever","template":"{}","stream":"s","rate":1000}`); rec.Code != http.StatusCreated {
		t.Fatalf("start: %d %s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/riffle/v1/generator/senders", `{"name":"few","template":"{}","stream":"s","count":3}`); rec.Code != http.StatusCreated {
		t.Fatalf("start: %d %s", rec.Code, rec.Body)
	}
	poll.Until(t, 10*time.Second, func() (bool, string) {
		got, _ := list()
		return got[0].Sent > 0 && got[1].State == "done", fmt.Sprintf("senders %+v", got)
	})
	if rec := do("POST", "/riffle/v1/generator/senders/1/stop", `{}`); rec.Code != http.StatusNoContent {
		t.Fatalf("stop: %d %s", rec.Code, rec.Body)
	}
	got, since := list()
	if len(got) != 2 || got[0].State != "stopped" || got[0].Running || got[0].Sent == 0 || got[1].State != "done" || got[1].Sent != 3 {
		t.Errorf("after the stop: %+v", got)
	}
	if _, err := time.Parse(time.RFC3339Nano, since); err != nil {
		t.Errorf("the list's %s: %q: %v", SinceHeader, since, err)
	}
	if rec := do("POST", "/riffle/v1/generator/senders/9/stop", `{}`); rec.Code != http.StatusNotFound {
		t.Errorf("stopping no sender: %d", rec.Code)
	}
}

// TestLabPresetsAreTheLabScenario: the console's presets are the senders
// of riffle gen --scenario lab, with its schedule.
func TestLabPresetsAreTheLabScenario(t *testing.T) {
	lab := Lab()
	got := LabPresets()
	if len(got) != len(lab.Senders) {
		t.Fatalf("%d presets, the lab has %d senders", len(got), len(lab.Senders))
	}
	for i, p := range got {
		snd := lab.Senders[i]
		if p.Name != snd.Name || p.Template != snd.Template || p.Rate != snd.Rate || p.Seconds != snd.Duration.Seconds() ||
			p.Start != snd.Start.Seconds() || p.Every != snd.Every.Seconds() || p.Until != lab.Duration.Seconds() {
			t.Errorf("preset %+v, lab sender %+v", p, snd)
		}
	}
}
