// Package server assembles Riffle's server: the durable log, the
// applications, and one HTTP handler for the Firehose, Kinesis and Kinesis
// Analytics APIs, the stream taps and /metrics. riffle serve and riffle
// demo run the same assembly.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/jonboulle/clockwork"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/riffle-sql/riffle/api"
	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/generator"
	"github.com/riffle-sql/riffle/ingest"
	"github.com/riffle-sql/riffle/internal/awsjson"
	"github.com/riffle-sql/riffle/s3delivery"
	"github.com/riffle-sql/riffle/s3store"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/web"
)

// Config is what the server runs on.
type Config struct {
	Data      string        // the embedded log's directory
	NATS      string        // an external NATS server or cluster instead
	Retention time.Duration // how long records are kept
	// MaxStore and MinFree bound the embedded log's storage (see
	// streamlog.Config): puts are refused, with a retryable error, past
	// them.
	MaxStore, MinFree int64
	// Replicas is the replication of the streams and buckets the server
	// creates (see streamlog.Config; 0: the default, 3 on a NATS cluster of
	// 3 servers or more, else 1).
	Replicas int
	// Credentials are the access keys whose SigV4 signatures are checked;
	// nil accepts any well-formed signature.
	Credentials map[string]string
	// BodyMemory bounds the request bodies held at once (see
	// awsjson.Options; 0: awsjson.DefaultBodyMemory).
	BodyMemory int64
	Apps       app.Options
	// Deliveries tunes the delivery streams' S3 deliveries (Buckets,
	// Clock, Logger and Metrics are the server's: Apps.Buckets, else
	// Data/buckets, and Apps.S3).
	Deliveries s3delivery.Options
	Logger     *slog.Logger
	// Clock is the wall clock of the whole server: arrival stamps,
	// signatures, application time, deliveries and the console's senders
	// (nil: the real clock). Tests give a fake one to drive time.
	Clock clockwork.Clock
}

// Server is an assembled server; Handler serves it.
type Server struct {
	Log        *streamlog.Log
	Apps       *app.Manager
	Deliveries *s3delivery.Service
	Handler    http.Handler
	// Metrics serves the Prometheus metrics without a signature, for a
	// listener of their own (riffle serve --metrics-listen): on Handler,
	// under credentials, /metrics asks for one like every other path,
	// since the figures name applications, streams and outputs.
	Metrics   http.Handler
	generator *generator.Service
}

// New opens the log, resumes the applications that were running, and
// builds the handler.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	l, err := streamlog.Open(ctx, streamlog.Config{Dir: cfg.Data, URL: cfg.NATS, Retention: cfg.Retention,
		MaxStore: cfg.MaxStore, MinFree: cfg.MinFree, Replicas: cfg.Replicas, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts := cfg.Apps
	if opts.Clock == nil {
		opts.Clock = cfg.Clock
	}
	if opts.Logger == nil {
		opts.Logger = cfg.Logger
	}
	opts.Delivery.Metrics = destination.NewMetrics(reg)
	opts.Metrics = reg
	if opts.Delivery.Logger == nil {
		opts.Delivery.Logger = cfg.Logger
	}
	apps, err := app.NewManager(ctx, l, opts)
	if err != nil {
		l.Close()
		return nil, err
	}
	// Delivery streams with an S3 destination write to S3, or to the
	// buckets directory standing for it.
	dopts := cfg.Deliveries
	dopts.Buckets = s3store.Buckets{Dir: opts.Buckets, S3: opts.S3}
	if dopts.Buckets.Dir == "" && cfg.Data != "" {
		dopts.Buckets.Dir = filepath.Join(cfg.Data, "buckets")
	}
	dopts.Clock, dopts.Logger, dopts.Metrics = cfg.Clock, cfg.Logger, reg
	deliveries, err := s3delivery.Start(ctx, l, dopts)
	if err != nil {
		apps.Close()
		l.Close()
		return nil, err
	}
	// One front door for the AWS JSON 1.1 APIs: Firehose and Kinesis
	// (ingest) and Kinesis Analytics (api) register with it as peers.
	front := awsjson.New(awsjson.Options{Credentials: cfg.Credentials, Metrics: reg, Logger: cfg.Logger, Clock: cfg.Clock, BodyMemory: cfg.BodyMemory})
	streams, err := ingest.New(ctx, l, ingest.Options{Region: opts.Region, Account: opts.Account, Metrics: reg, Clock: cfg.Clock, Users: apps.Users,
		Changed: deliveries.Nudge})
	if err != nil {
		deliveries.Close()
		apps.Close()
		l.Close()
		return nil, err
	}
	streams.Register(front)
	management := api.New(apps, l, opts.Region, opts.Account)
	management.Monitor(reg, cfg.Clock)
	front.Register(api.Target, management.Operations())
	// Code comes whole in these two: room for what CodeValidationException
	// should answer (code over 102,400 characters), not for more.
	front.Limit(api.Target, "CreateApplication", 4<<20)
	front.Limit(api.Target, "UpdateApplication", 4<<20)
	mux := http.NewServeMux()
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	mux.Handle("GET /metrics", front.Authenticate(metrics))
	mux.Handle(api.TapPath, front.Authenticate(http.HandlerFunc(management.Tap)))
	mux.Handle(api.StreamsPath, front.Authenticate(http.HandlerFunc(management.Streams)))
	mux.Handle(api.RecordsPath, front.Authenticate(http.HandlerFunc(management.Records)))
	mux.Handle(api.TemplatesPath, front.Authenticate(http.HandlerFunc(management.Templates)))
	mux.Handle(api.MetricsPath, front.Authenticate(http.HandlerFunc(management.Metrics)))
	mux.Handle(api.FunctionsPath, front.Authenticate(http.HandlerFunc(management.Functions)))
	mux.Handle(api.ClusterPath, front.Authenticate(http.HandlerFunc(management.Cluster)))
	mux.Handle(api.MovePath, front.Authenticate(http.HandlerFunc(management.Move)))
	mux.Handle("GET /", web.Handler()) // the console; the APIs are POSTs to /
	mux.Handle("/", front)
	// The console's senders go through this server's own Firehose and
	// Kinesis APIs, in memory, signed as a client of it would sign.
	creds := generator.PlaceholderCredentials()
	for id, secret := range cfg.Credentials {
		creds = credentials.NewStaticCredentialsProvider(id, secret, "")
		break
	}
	self := &http.Client{Transport: inMemory{mux}}
	gen := generator.NewService(func(ctx context.Context, stream string) (generator.Target, error) {
		return generator.NewStreamTarget(ctx, generator.StreamConfig{Name: stream, Endpoint: "http://riffle.internal", Region: opts.Region,
			Credentials: creds, HTTPClient: self})
	})
	gen.Clock = cfg.Clock
	gen.Register(mux, front.Authenticate)
	return &Server{Log: l, Apps: apps, Deliveries: deliveries, Handler: mux, Metrics: metrics, generator: gen}, nil
}

// Close stops the applications (each with a last checkpoint), the
// deliveries to S3 (each writing what it buffers, for a moment) and the
// log. The applications and the deliveries stop together: each drains
// for a bounded moment, and a server stopped by Ctrl-C waits for the
// longer only.
func (s *Server) Close() error {
	s.generator.Close()
	var stopping sync.WaitGroup
	stopping.Go(s.Apps.Close)
	stopping.Go(s.Deliveries.Close)
	stopping.Wait()
	return s.Log.Close()
}
