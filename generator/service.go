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

	mu      sync.Mutex
	closed  bool
	next    int
	senders map[int]*serviceSender
}

type serviceSender struct {
	spec   ServiceSender
	run    *Run
	cancel context.CancelFunc
}

// ServiceSender is a sender as the console starts and lists it.
type ServiceSender struct {
	ID       int     `json:"id"`
	Name     string  `json:"name"`
	Template string  `json:"template"`
	Stream   string  `json:"stream"`
	Rate     float64 `json:"rate"`
	Count    int     `json:"count,omitempty"`
	Seconds  float64 `json:"seconds,omitempty"` // how long it sends; 0: until stopped
	Sent     int64   `json:"sent"`
	Acked    int64   `json:"acknowledged"`
	Failed   int64   `json:"failed"`
	Running  bool    `json:"running"`
}

// NewService makes senders whose records go to target(stream).
func NewService(target func(ctx context.Context, stream string) (Target, error)) *Service {
	ctx, stop := context.WithCancel(context.Background())
	return &Service{target: target, ctx: ctx, stop: stop, senders: map[int]*serviceSender{}}
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
		default:
			spec.Running = true
		}
		out = append(out, spec)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
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
	sc := Scenario{Name: spec.Name, Senders: []Sender{{Name: spec.Name, Template: spec.Template, Rate: spec.Rate, Count: spec.Count,
		Duration: time.Duration(spec.Seconds * float64(time.Second))}}}
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
	spec.Running = true
	s.senders[spec.ID] = &serviceSender{spec: spec, run: run, cancel: cancel}
	s.mu.Unlock()
	go func() { <-run.Done(); cancel() }() // release the context once the run ends
	reply(w, http.StatusCreated, spec)
}

// remove stops a sender (if it runs) and forgets it.
func (s *Service) remove(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	snd := s.senders[id]
	delete(s.senders, id)
	s.mu.Unlock()
	if snd == nil {
		replyError(w, http.StatusNotFound, fmt.Errorf("no sender %s", r.PathValue("id")))
		return
	}
	snd.cancel()
	<-snd.run.Done()
	w.WriteHeader(http.StatusNoContent)
}
