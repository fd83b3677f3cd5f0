package s3delivery

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/riffle-sql/riffle/internal/throttle"
	"github.com/riffle-sql/riffle/s3store"
	"github.com/riffle-sql/riffle/streamlog"
)

// Options tune the deliveries.
type Options struct {
	// Buckets are where objects go: S3, or the directory standing for it.
	Buckets s3store.Buckets
	// Clock times buffering, polls and retries (the real clock by
	// default); record arrivals are stamped on the ingest API's.
	Clock  clockwork.Clock
	Logger *slog.Logger
	// Metrics, when set, receives the counts of objects, records and bytes
	// delivered and of failures, by delivery stream.
	Metrics prometheus.Registerer
	// Poll is how often a deliverer that has read everything looks for new
	// records (200 ms by default).
	Poll time.Duration
	// Scan is how often the service looks for delivery streams created or
	// deleted by another node sharing the log (2 s by default); on its
	// own node Nudge says so at once.
	Scan time.Duration
	// Drain bounds how long Close gives the deliverers to write what they
	// buffer (2 s by default); the rest is delivered after the next start.
	Drain time.Duration
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Poll <= 0 {
		o.Poll = 200 * time.Millisecond
	}
	if o.Scan <= 0 {
		o.Scan = 2 * time.Second
	}
	if o.Drain <= 0 {
		o.Drain = 2 * time.Second
	}
	return o
}

// stateBucket keeps each deliverer's checkpoint.
const stateBucket = "riffle_firehose_s3"

// Service runs a deliverer for every delivery stream of the log that has
// an S3 destination. On a cluster every node runs them all (see the
// package's comment in docs/aws.md): the checkpoints are written with
// compare-and-set and a batch is written under the same key by whoever
// writes it, so the bucket still holds each record once.
type Service struct {
	log     *streamlog.Log
	kv      *streamlog.KV
	opts    Options
	metrics *metrics

	nudge    chan struct{}
	run      context.Context // owns the scan and the deliverers
	stop     context.CancelFunc
	scanning sync.WaitGroup
	scanErrs throttle.Log

	mu      sync.Mutex // guards what follows; never held across I/O
	running map[string]*deliverer
	closed  bool
}

// Start opens the deliverers' checkpoints and starts delivering, in the
// background, until Close.
func Start(ctx context.Context, l *streamlog.Log, opts Options) (*Service, error) {
	opts = opts.withDefaults()
	kv, err := l.Bucket(ctx, stateBucket)
	if err != nil {
		return nil, err
	}
	s := &Service{log: l, kv: kv, opts: opts, metrics: newMetrics(opts.Metrics), nudge: make(chan struct{}, 1), running: map[string]*deliverer{}}
	s.scanErrs = throttle.Log{Logger: opts.Logger, Every: errorLogEvery, Clock: opts.Clock}
	// It outlives a cancelled ctx (a SIGTERM): Close stops it, after the
	// drain.
	s.run, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	s.scanning.Go(func() { s.scan(s.run) })
	return s, nil
}

// errorLogEvery spaces the logs of an error that lasts.
const errorLogEvery = 30 * time.Second

// Buckets are where the deliveries write.
func (s *Service) Buckets() s3store.Buckets { return s.opts.Buckets }

// Nudge has the service look for created and deleted delivery streams
// now.
func (s *Service) Nudge() {
	select {
	case s.nudge <- struct{}{}:
	default:
	}
}

// scan starts and stops deliverers as delivery streams come and go.
func (s *Service) scan(ctx context.Context) {
	for {
		if err := s.reconcile(ctx); err != nil && ctx.Err() == nil {
			s.scanErrs.Error("cannot look for delivery streams with an S3 destination", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.nudge:
		case <-s.opts.Clock.After(s.opts.Scan):
		}
	}
}

// stateKey names a stream's checkpoint: its name (encoded, as key
// characters are fewer) and its creation, so that a new stream of the
// same name starts afresh.
func stateKey(info streamlog.Info) string {
	return base64.RawURLEncoding.EncodeToString([]byte(info.Name)) + "=" + fmt.Sprint(info.Created.UnixMilli())
}

// reconcile starts the deliverers of the delivery streams that have none
// and stops those of deleted streams; ctx bounds its reads only.
func (s *Service) reconcile(ctx context.Context) error {
	// The checkpoints first: one whose stream is not listed after is a
	// deleted stream's, not a stream too new to be listed.
	keys, err := s.kv.Keys(ctx)
	if err != nil {
		return err
	}
	infos, err := s.log.List(ctx, "")
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, info := range infos {
		dest, err := FromInfo(info)
		if err != nil {
			s.scanErrs.Error("a delivery stream is not delivered", "stream", info.Name, "err", err)
			continue
		}
		if dest == nil {
			continue
		}
		key := stateKey(info)
		want[key] = true
		s.mu.Lock()
		_, ok := s.running[key]
		started := !ok && !s.closed
		if started {
			d := s.newDeliverer(s.run, info, *dest, key)
			s.running[key] = d
			go d.run()
		}
		s.mu.Unlock()
		if started {
			s.opts.Logger.Info("delivery stream delivers to S3", "stream", info.Name, "bucket", s.opts.Buckets.Where(dest.Bucket()))
		}
	}
	var gone []*deliverer
	s.mu.Lock()
	for key, d := range s.running {
		if !want[key] {
			gone = append(gone, d)
			delete(s.running, key)
		}
	}
	s.mu.Unlock()
	for _, d := range gone {
		d.cancel()
		<-d.done
		s.opts.Logger.Info("delivery stream deleted: its deliveries to S3 end", "stream", d.stream)
	}
	for _, key := range keys {
		if !want[key] {
			if err := s.kv.Delete(ctx, key); err != nil {
				return err
			}
		}
	}
	return nil
}

// Flush has every deliverer write what the stream holds now, without
// waiting for its buffering interval, and returns once all is delivered
// (or ctx ends).
func (s *Service) Flush(ctx context.Context) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if !closed { // the delivery streams created since the last scan too
		if err := s.reconcile(ctx); err != nil {
			return err
		}
	}
	s.mu.Lock()
	ds := make([]*deliverer, 0, len(s.running))
	for _, d := range s.running {
		ds = append(ds, d)
	}
	s.mu.Unlock()
	var errs []error
	for _, d := range ds {
		if err := d.flush(ctx); err != nil {
			errs = append(errs, fmt.Errorf("delivery stream %s: %w", d.stream, err))
		}
	}
	return errors.Join(errs...)
}

// drain flushes the deliverers together until ctx ends, skipping those
// failing (their S3 would not take it now), and names the streams not
// drained, each failing one saying so.
func (s *Service) drain(ctx context.Context) []string {
	s.mu.Lock()
	ds := make([]*deliverer, 0, len(s.running))
	for _, d := range s.running {
		ds = append(ds, d)
	}
	s.mu.Unlock()
	var (
		mu      sync.Mutex
		left    []string
		flushes sync.WaitGroup
	)
	for _, d := range ds {
		if d.failing.Load() {
			left = append(left, d.stream+" (S3 failing)")
			continue
		}
		flushes.Go(func() {
			if err := d.flush(ctx); err != nil && !errors.Is(err, errStopped) {
				mu.Lock()
				left = append(left, d.stream)
				mu.Unlock()
			}
		})
	}
	flushes.Wait()
	sort.Strings(left)
	return left
}

// Close lets the deliverers write what they buffer (bounded by Drain),
// then stops them.
func (s *Service) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	drain, cancel := context.WithTimeout(context.Background(), s.opts.Drain)
	if left := s.drain(drain); len(left) > 0 {
		// Nothing is lost: the records stay in the log, and the
		// deliverers' checkpoints say where they resume.
		s.opts.Logger.Warn("delivery streams not drained to S3 before the server stopped: the rest is delivered after the next start", "streams", strings.Join(left, ", "))
	}
	cancel()
	s.stop()
	s.scanning.Wait()
	s.mu.Lock()
	ds := s.running
	s.running = map[string]*deliverer{}
	s.mu.Unlock()
	for _, d := range ds {
		d.cancel()
		<-d.done
	}
}

// metrics count deliveries by delivery stream.
type metrics struct {
	objects, records, bytes, failures *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		objects:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_firehose_s3_objects_total", Help: "Objects a delivery stream wrote to its S3 destination."}, []string{"stream"}),
		records:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_firehose_s3_records_total", Help: "Records a delivery stream delivered to its S3 destination."}, []string{"stream"}),
		bytes:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_firehose_s3_bytes_total", Help: "Object bytes (compressed) a delivery stream wrote to its S3 destination."}, []string{"stream"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_firehose_s3_failures_total", Help: "Failed attempts of a delivery stream to write an object or its checkpoint (each retried)."}, []string{"stream"}),
	}
	if reg != nil {
		reg.MustRegister(m.objects, m.records, m.bytes, m.failures)
	}
	return m
}

// quiet says whether an error is the stream going away (the scan stops its
// deliverer) or the service stopping: nothing to log.
func quiet(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, streamlog.ErrNotFound) || errors.Is(err, context.Canceled)
}
