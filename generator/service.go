package generator

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/riffle-sql/riffle/generator/template"
)

// Service runs senders for the console (the KDG's page): test a template,
// start senders to a stream, follow their counters, stop them. Its routes
// are under /riffle/v1/generator/.
type Service struct {
	// Clock times the senders and dates the test records (nil: the real
	// clock); set it before Register.
	Clock clockwork.Clock

	target func(ctx context.Context, stream string) (Target, error)
	ctx    context.Context // owns every sender
	stop   context.CancelFunc

	since time.Time // when the service began: senders live in memory, so a new one means they were lost

	mu      sync.Mutex
	closed  bool
	next    int
	senders map[int]*serviceSender
}

type serviceSender struct {
	spec    ServiceSender
	run     *Run
	cancel  context.CancelFunc
	stopped bool // by a stop, not by reaching its count or duration
}

// ServiceSender is a sender as the console starts and lists it.
type ServiceSender struct {
	ID       int     `json:"id"`
	Name     string  `json:"name"`
	Template string  `json:"template"`
	Stream   string  `json:"stream"`
	Rate     float64 `json:"rate"`
	Count    int     `json:"count,omitempty"`
	Seconds  float64 `json:"seconds,omitempty"` // how long a run sends; 0: until stopped
	Start    float64 `json:"start,omitempty"`   // seconds before the first run
	Every    float64 `json:"every,omitempty"`   // seconds between runs' starts; 0: one run
	Until    float64 `json:"until,omitempty"`   // seconds after which it ends, whatever its runs; 0: none
	Sent     int64   `json:"sent"`
	Acked    int64   `json:"acknowledged"`
	Failed   int64   `json:"failed"`
	Running  bool    `json:"running"`
	State    string  `json:"state"` // sending, done (its count or duration reached) or stopped
}

// SinceHeader, on the senders' list, says when the service began: a
// console that saw senders before another time knows the server restarted
// and its senders are gone.
const SinceHeader = "Riffle-Generator-Since"

// LabPresets are the senders of riffle gen --scenario lab as the console
// starts them: the same templates, rates and schedule.
func LabPresets() []ServiceSender {
	lab := Lab()
	var out []ServiceSender
	for _, snd := range lab.Senders {
		out = append(out, ServiceSender{Name: snd.Name, Template: snd.Template, Rate: snd.Rate, Count: snd.Count,
			Seconds: snd.Duration.Seconds(), Start: snd.Start.Seconds(), Every: snd.Every.Seconds(), Until: lab.Duration.Seconds()})
	}
	return out
}

// NewService makes senders whose records go to target(stream).
func NewService(target func(ctx context.Context, stream string) (Target, error)) *Service {
	ctx, stop := context.WithCancel(context.Background())
	return &Service{target: target, ctx: ctx, stop: stop, since: time.Now(), senders: map[int]*serviceSender{}}
}

// Close stops every sender and waits for them.
func (s *Service) Close() {
	s.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true // a start under way now stops its own run
	for _, snd := range s.senders {
		<-snd.run.Done()
	}
}

func (s *Service) clock() clockwork.Clock {
	if s.Clock == nil {
		return clockwork.NewRealClock()
	}
	return s.Clock
}

// Register adds the routes to mux, each through wrap (authentication).
func (s *Service) Register(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	mux.Handle("POST /riffle/v1/generator/test", wrap(http.HandlerFunc(s.test)))
	mux.Handle("GET /riffle/v1/generator/senders", wrap(http.HandlerFunc(s.list)))
	mux.Handle("POST /riffle/v1/generator/senders", wrap(http.HandlerFunc(s.start)))
	mux.Handle("DELETE /riffle/v1/generator/senders/{id}", wrap(http.HandlerFunc(s.remove)))
	mux.Handle("POST /riffle/v1/generator/senders/{id}/stop", wrap(http.HandlerFunc(s.stopSender)))
	mux.Handle("GET /riffle/v1/generator/presets", wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, map[string][]ServiceSender{"lab": LabPresets()})
	})))
}

// jsonBody refuses a request whose body is not declared JSON.
func jsonBody(w http.ResponseWriter, r *http.Request) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		replyError(w, http.StatusUnsupportedMediaType, fmt.Errorf("the body must be application/json"))
		return false
	}
	return true
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func replyError(w http.ResponseWriter, status int, err error) {
	reply(w, status, map[string]string{"error": err.Error()})
}

// test renders five records of a template, as the KDG's "Test template".
func (s *Service) test(w http.ResponseWriter, r *http.Request) {
	if !jsonBody(w, r) {
		return
	}
	var req struct{ Template string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		replyError(w, http.StatusBadRequest, fmt.Errorf("the request: %w", err))
		return
	}
	t, err := template.Parse("template", req.Template)
	if err != nil {
		replyError(w, http.StatusBadRequest, err)
		return
	}
	f := template.NewFaker(uint64(s.clock().Now().UnixNano()))
	var records []string
	for range 5 {
		rec, err := t.Execute(f, s.clock().Now())
		if err != nil {
			replyError(w, http.StatusBadRequest, err)
			return
		}
		records = append(records, rec)
	}
	reply(w, http.StatusOK, map[string][]string{"records": records})
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := []ServiceSender{}
	for _, snd := range s.senders {
		spec := snd.spec
		st := snd.run.Senders[0]
		spec.Sent, spec.Acked, spec.Failed = st.Sent.Load(), st.Acked.Load(), st.Failed.Load()
		select {
		case <-snd.run.Done():
			spec.Running, spec.State = false, "done"
			if snd.stopped {
				spec.State = "stopped"
			}
		default:
			spec.Running, spec.State = true, "sending"
		}
		out = append(out, spec)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	w.Header().Set(SinceHeader, s.since.UTC().Format(time.RFC3339Nano))
	reply(w, http.StatusOK, out)
}

// start checks the template and the stream, then sends until the count,
// the duration, or a stop. The body must be declared JSON: a form another
// site's page posts (text/plain, no preflight) is refused.
func (s *Service) start(w http.ResponseWriter, r *http.Request) {
	if !jsonBody(w, r) {
		return
	}
	var spec ServiceSender
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&spec); err != nil {
		replyError(w, http.StatusBadRequest, fmt.Errorf("the request: %w", err))
		return
	}
	if spec.Name == "" {
		spec.Name = "sender"
	}
	secs := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	sc := Scenario{Name: spec.Name, Duration: secs(spec.Until), Senders: []Sender{{Name: spec.Name, Template: spec.Template, Rate: spec.Rate, Count: spec.Count,
		Duration: secs(spec.Seconds), Start: secs(spec.Start), Every: secs(spec.Every)}}}
	if err := sc.Validate(); err != nil {
		replyError(w, http.StatusBadRequest, err)
		return
	}
	target, err := s.target(r.Context(), spec.Stream)
	if err != nil {
		replyError(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	run, err := Start(ctx, sc, Options{Target: target, Seed: uint64(s.clock().Now().UnixNano()), Clock: s.clock()})
	if err != nil {
		cancel()
		replyError(w, http.StatusBadRequest, err)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		<-run.Done()
		replyError(w, http.StatusServiceUnavailable, fmt.Errorf("the server is stopping"))
		return
	}
	s.next++
	spec.ID = s.next
	spec.Running, spec.State = true, "sending"
	s.senders[spec.ID] = &serviceSender{spec: spec, run: run, cancel: cancel}
	s.mu.Unlock()
	go func() { <-run.Done(); cancel() }() // release the context once the run ends
	reply(w, http.StatusCreated, spec)
}

// stopSender stops a sender and keeps it, with its totals, until removed.
func (s *Service) stopSender(w http.ResponseWriter, r *http.Request) {
	if !jsonBody(w, r) {
		return
	}
	id, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	snd := s.senders[id]
	if snd != nil {
		select {
		case <-snd.run.Done(): // done already: it keeps saying done
		default:
			snd.stopped = true
		}
	}
	s.mu.Unlock()
	halt(w, r, snd)
}

// halt stops a sender and waits for it to end, or answers 404 for none.
func halt(w http.ResponseWriter, r *http.Request, snd *serviceSender) {
	if snd == nil {
		replyError(w, http.StatusNotFound, fmt.Errorf("no sender %s", r.PathValue("id")))
		return
	}
	snd.cancel()
	<-snd.run.Done()
	w.WriteHeader(http.StatusNoContent)
}

// remove stops a sender (if it runs) and forgets it.
func (s *Service) remove(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	snd := s.senders[id]
	delete(s.senders, id)
	s.mu.Unlock()
	halt(w, r, snd)
}
