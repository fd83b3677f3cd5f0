// Package generator sends generated records the way the Kinesis Data
// Generator does, without a browser: KDG templates (package
// generator/template), several senders at once, each at a rate from a start
// offset for a duration or a count, repeating if asked, to a Firehose or
// Kinesis endpoint, standard output or a replay file. Batches go up to the
// service limits; only the records that failed are retried, and what could
// not be sent is counted.
//
// A scenario runs on its own clock: Speed scenario seconds per wall second,
// so an accelerated demo keeps its 10-second windows. Send times are
// absolute (start + offset / speed), never accumulated sleeps, so timers
// stay steady however long a send takes.
package generator

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/riffle-sql/riffle/generator/template"
	"github.com/riffle-sql/riffle/internal/wait"
)

// Options run a scenario.
type Options struct {
	Target Target
	Seed   uint64
	// Speed is scenario seconds per wall second (default 1).
	Speed float64
	// Start is scenario time zero: the time the data's date helpers see
	// and a replay file's first arrival (default now).
	Start time.Time
	// WallStart is the wall-clock moment of scenario time zero for a live
	// target (default now): a demo sets it to line records up with windows.
	WallStart time.Time
	// Forever starts the scenario again each time it ends.
	Forever bool
	// Retries is how many times a failed record is sent again (default 3).
	Retries int
	Logger  *slog.Logger
	// Clock times the sends and the retries (nil: the real clock); a test
	// passes a fake one to drive them.
	Clock clockwork.Clock
	// Serial sends every sender's records from one goroutine, in time
	// order, each sender's records that are due together in one batch:
	// while the run waits for its next record, every record due so far has
	// been answered, and the run is the only one waiting on Clock (a test
	// moving a fake clock knows when no send is on its way). Without it,
	// each sender sends on its own, and a slow sender holds no other back.
	Serial bool
}

// Stats count one sender's records.
type Stats struct {
	Name   string
	Sent   atomic.Int64 // handed to the target (attempts of new records)
	Acked  atomic.Int64 // accepted by the target
	Failed atomic.Int64 // given up on after the retries
}

// Run is a running scenario.
type Run struct {
	Senders []*Stats
	clock   clockwork.Clock // the run's, for its progress display
	done    chan struct{}
	err     error
}

// Done is closed when every sender has finished.
func (r *Run) Done() <-chan struct{} { return r.done }

// Err is the first error that stopped a sender (after Done).
func (r *Run) Err() error { return r.err }

// Totals sums the senders' counts.
func (r *Run) Totals() (sent, acked, failed int64) {
	for _, s := range r.Senders {
		sent += s.Sent.Load()
		acked += s.Acked.Load()
		failed += s.Failed.Load()
	}
	return
}

type compiled struct {
	Sender
	tmpl  *template.Template
	seed  uint64
	stats *Stats
}

// Start checks the scenario (every template parsed now, so a bad helper
// fails before the first record) and runs it until it ends or ctx does.
func Start(ctx context.Context, s Scenario, o Options) (*Run, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if o.Forever && s.Duration <= 0 {
		return nil, errors.New("--forever needs a scenario with a duration")
	}
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	now := o.Clock.Now()
	if o.Start.IsZero() {
		o.Start = now
	}
	if o.WallStart.IsZero() {
		o.WallStart = now
	}
	if o.Retries <= 0 {
		o.Retries = 3
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	var senders []*compiled
	var errs []error
	run := &Run{clock: o.Clock, done: make(chan struct{})}
	for _, snd := range s.Senders {
		t, err := template.Parse(snd.Name, snd.Template)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st := &Stats{Name: snd.Name}
		run.Senders = append(run.Senders, st)
		senders = append(senders, &compiled{Sender: snd, tmpl: t, seed: mix(o.Seed, snd.Name), stats: st})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	g := &gen{o: o, s: s}
	go func() {
		defer close(run.done)
		run.err = g.run(ctx, senders)
	}()
	return run, nil
}

// mix gives each sender a seed of its own from the run's and its name.
func mix(seed uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return seed ^ h.Sum64()
}

type gen struct {
	o Options
	s Scenario
}

func (g *gen) run(ctx context.Context, senders []*compiled) error {
	for round := 0; ; round++ {
		shift := time.Duration(round) * g.s.Duration
		var err error
		switch {
		case !g.o.Target.Live():
			err = g.merged(ctx, senders, shift, false)
		case g.o.Serial:
			err = g.merged(ctx, senders, shift, true)
		default:
			err = g.live(ctx, senders, shift)
		}
		if err != nil || !g.o.Forever || ctx.Err() != nil {
			return err
		}
	}
}

// live runs every sender in a goroutine of its own, each sending its
// records when their time comes (merged, one sender each).
func (g *gen) live(ctx context.Context, senders []*compiled, shift time.Duration) error {
	var wg sync.WaitGroup
	errc := make(chan error, len(senders))
	for _, c := range senders {
		wg.Go(func() {
			if err := g.merged(ctx, []*compiled{c}, shift, true); err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func (g *gen) wall(off time.Duration) time.Time {
	return g.o.WallStart.Add(time.Duration(float64(off) / g.o.Speed))
}

// merged sends every sender's records merged in time order (then sender
// order) from one goroutine. Unpaced (a replay file), it writes them at
// once, one line at a time, so the same seed writes the same file. Paced,
// each record waits for its time, and the records due before it go first.
func (g *gen) merged(ctx context.Context, senders []*compiled, shift time.Duration, paced bool) error {
	type head struct {
		sc   *schedule
		f    *template.Faker
		keys *rand.Rand
		off  time.Duration
		ok   bool
		b    *batcher
	}
	heads := make([]*head, len(senders))
	for i, c := range senders {
		h := &head{sc: newSchedule(c.Sender, g.s.Duration, c.seed+uint64(shift)), f: template.NewFaker(c.seed + uint64(shift)),
			keys: rand.New(rand.NewPCG(c.seed, uint64(shift))), b: g.newBatcher(c)}
		h.off, h.ok = h.sc.next()
		heads[i] = h
	}
	flush := func() error {
		for i, h := range heads {
			if err := h.b.flush(ctx); err != nil {
				return fmt.Errorf("sender %s: %w", senders[i].Name, err)
			}
		}
		return nil
	}
	for ctx.Err() == nil {
		next := -1
		for i, h := range heads {
			if h.ok && (next < 0 || h.off < heads[next].off) {
				next = i
			}
		}
		if next < 0 {
			break
		}
		h := heads[next]
		off := h.off + shift
		if ahead := g.o.Clock.Until(g.wall(off)); paced && ahead > 0 {
			// Nothing more is due before this record: send what waits.
			if err := flush(); err != nil {
				return err
			}
			if !wait.Sleep(ctx, g.o.Clock, ahead) {
				return nil
			}
		}
		if err := h.b.add(ctx, senders[next], h.f, h.keys, off); err != nil {
			return fmt.Errorf("sender %s: %w", senders[next].Name, err)
		}
		if !paced {
			// One line at a time, so the file is in time order across
			// senders.
			if err := h.b.flush(ctx); err != nil {
				return fmt.Errorf("sender %s: %w", senders[next].Name, err)
			}
		}
		h.off, h.ok = h.sc.next()
	}
	return flush()
}

// batcher gathers a sender's records up to the target's limits.
type batcher struct {
	g         *gen
	c         *compiled
	recs      []Record
	size      int
	maxRecs   int
	maxBytes  int
	retryWait time.Duration
}

func (g *gen) newBatcher(c *compiled) *batcher {
	n, bytes := g.o.Target.Limits()
	return &batcher{g: g, c: c, maxRecs: n, maxBytes: bytes, retryWait: 100 * time.Millisecond}
}

// add renders one record made for scenario offset off.
func (b *batcher) add(ctx context.Context, c *compiled, f *template.Faker, keys *rand.Rand, off time.Duration) error {
	at := b.g.o.Start.Add(off)
	text, err := c.tmpl.Execute(f, at)
	if err != nil {
		return err
	}
	data := append([]byte(text), '\n') // the KDG ends every record with a newline
	if len(b.recs) > 0 && (len(b.recs) == b.maxRecs || b.size+len(data) > b.maxBytes) {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	// A random partition key as the KDG makes them: an integer below 10^10.
	b.recs = append(b.recs, Record{Data: data, At: at, Key: strconv.FormatUint(keys.Uint64N(1e10), 10)})
	b.size += len(data)
	return nil
}

// flush sends the batch, then only its failed records again, a few times,
// and counts what could not be sent.
func (b *batcher) flush(ctx context.Context) error {
	recs := b.recs
	b.recs, b.size = nil, 0
	if len(recs) == 0 || ctx.Err() != nil { // stopped: these were never sent
		return nil
	}
	st := b.c.stats
	st.Sent.Add(int64(len(recs)))
	for attempt := 0; len(recs) > 0; attempt++ {
		failed, err := b.g.o.Target.Put(ctx, recs)
		if err != nil && ctx.Err() != nil {
			st.Failed.Add(int64(len(recs)))
			return nil
		}
		var again []Record
		for i, r := range recs {
			if err != nil || failed != nil && failed[i] {
				again = append(again, r)
			}
		}
		st.Acked.Add(int64(len(recs) - len(again)))
		if len(again) == 0 {
			return nil
		}
		if attempt == b.g.o.Retries {
			st.Failed.Add(int64(len(again)))
			reason := "the target refused them"
			if err != nil {
				reason = err.Error()
			}
			b.g.o.Logger.Warn("records not sent", "sender", b.c.Name, "records", len(again), "reason", reason)
			return nil
		}
		recs = again
		if !wait.Sleep(ctx, b.g.o.Clock, b.retryWait<<attempt) {
			st.Failed.Add(int64(len(recs)))
			return nil
		}
	}
	return nil
}
