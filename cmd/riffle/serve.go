package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/awsclients"
	"github.com/riffle-sql/riffle/awskinesis"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/awsjson"
	"github.com/riffle-sql/riffle/internal/fdlimit"
	"github.com/riffle-sql/riffle/internal/hostguard"
	"github.com/riffle-sql/riffle/notify"
	"github.com/riffle-sql/riffle/s3store"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/streamlog"
)

// DefaultListen is where riffle serve listens unless told otherwise.
const DefaultListen = "127.0.0.1:4573"

func newServeCommand() *cobra.Command {
	var (
		dataDir, listen, natsURL, authFile string
		metricsListen                      string
		node                               string
		retention, checkpoint, leaseTTL    time.Duration
		timeScale                          float64
		buckets, outputDir                 string
		insecure, allowPrivateURLs         bool
		allowedHosts                       []string
		maxConns                           int
		bodyMemoryMiB, forestMemoryMiB     int64
		maxStore, minFree                  int64
		replicas                           int
		functions, notifiers, awsEndpoints []string
		kinesisTolerance                   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve [--data DIR] [--listen 127.0.0.1:4573] [--nats URL [--node NAME]] [--auth FILE]",
		Short: "Run the Riffle server: the Firehose-compatible ingestion API over a durable log",
		Long: `Serves the web console at / (its address is printed at start; under --auth it
asks for a key of the file) and the AWS JSON 1.1 APIs on the same HTTP port (the
AWS CLI and SDKs work with --endpoint-url): Kinesis Data Firehose, Kinesis Data Streams and the Kinesis Data
Analytics management API, which runs applications over the stored streams; plus
/metrics and a tap on every application's streams (riffle tail). Records are stored
in NATS JetStream, embedded with its files under --data, or an existing NATS server
or cluster with --nats; a request is answered only once its records are stored.
The server listens on loopback unless told otherwise. With --auth it checks every
request's Signature Version 4 against the keys in the file; without it, any
well-formed signature passes, so another address needs --auth (or --insecure).
With --nats, several servers may share one NATS cluster: each is a node (--node,
by default the host name and the port), and each running application runs on
the one node holding its lease, moving to another when that node dies or stops
(docs/cluster.md). Reference data sources and delivery streams with an S3
destination use the folder --buckets/BUCKET when it exists, else S3 when the
server is set up for it (--aws-endpoint s3=URL, AWS_ENDPOINT_URL_S3, or an AWS
region; the SDK's credential chain), else that folder (docs/aws.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			local, err := isLoopback(listen)
			if err != nil {
				return err
			}
			var creds map[string]string
			if authFile != "" {
				data, err := os.ReadFile(authFile)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(data, &creds); err != nil || len(creds) == 0 {
					return fmt.Errorf("--auth %s: want a JSON object of access key IDs to secrets: %v", authFile, err)
				}
			}
			if metricsListen != "" {
				metricsLocal, err := isLoopback(metricsListen)
				if err != nil {
					return fmt.Errorf("--metrics-listen: %w", err)
				}
				if !metricsLocal && !insecure {
					return fmt.Errorf("--metrics-listen %s is not a loopback address: its metrics name applications, streams and outputs to anyone; add --insecure to do it anyway", metricsListen)
				}
			}
			if !local && creds == nil && !insecure {
				return fmt.Errorf("--listen %s is not a loopback address: without --auth anyone could write to it; add --insecure to do it anyway", listen)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			if buckets == "" {
				buckets = filepath.Join(dataDir, "buckets")
			}
			if outputDir == "" {
				outputDir = filepath.Join(dataDir, "outputs")
			}
			fns, err := serverFunctions(ctx, functions, notifiers, cmd.OutOrStdout(), logger)
			if err != nil {
				return err
			}
			endpoints, err := parseAWSEndpoints(awsEndpoints)
			if err != nil {
				return err
			}
			// One AWS configuration for buckets, Kinesis inputs and outputs.
			awsClients := awsclients.New(endpoints)
			s3c, err := s3store.Open(ctx, awsClients)
			if err != nil {
				return err
			}
			if s3c != nil {
				logger.Info("buckets without a directory under --buckets are S3 buckets", "buckets", buckets, "s3", s3c.String())
			}
			// Kinesis inputs that are not streams of this server: nothing is
			// sent until an application names one.
			kinesisClient := awskinesis.New(awsClients)
			if node != "" {
				if err := app.CheckNode(node); err != nil {
					return fmt.Errorf("--node: %w", err)
				}
			}
			files, err := fdlimit.Raise()
			if err != nil {
				logger.Warn("cannot raise the limit on open files", "err", err)
				files = 1024
			}
			if maxConns <= 0 {
				maxConns = connectionsFor(files)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			ln = limitConnections(ln, maxConns)
			if node == "" && natsURL != "" {
				node = defaultNode(ln.Addr())
			}
			srv, err := server.New(ctx, server.Config{Data: dataDir, NATS: natsURL, Retention: retention, Credentials: creds, BodyMemory: bodyMemoryMiB << 20, Logger: logger,
				MaxStore: maxStore, MinFree: minFree, Replicas: replicas,
				Apps: app.Options{TimeScale: timeScale, Checkpoint: checkpoint, Buckets: buckets, S3: s3c, Functions: fns, OutputDir: outputDir,
					Node: node, LeaseTTL: leaseTTL, AWS: awsClients,
					Kinesis: kinesisClient, KinesisTolerance: kinesisTolerance, AllowPrivateURLs: allowPrivateURLs, ForestMemory: forestMemoryMiB << 20}})
			if err != nil {
				return err
			}
			defer srv.Close()
			if node != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "riffle serving on http://%s (data in %s, node %s)\n", ln.Addr(), storage(dataDir, natsURL), node)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "riffle serving on http://%s (data in %s)\n", ln.Addr(), storage(dataDir, natsURL))
			}
			// The first line's format is read by scripts and tests; the
			// console's address goes on a line of its own.
			fmt.Fprintf(cmd.OutOrStdout(), "console: http://%s/\n", ln.Addr())
			if metricsListen != "" {
				// The metrics without a signature, for a scraper, on a
				// listener of their own that ends with the server.
				mln, err := net.Listen("tcp", metricsListen)
				if err != nil {
					return fmt.Errorf("--metrics-listen: %w", err)
				}
				mux := http.NewServeMux()
				mux.Handle("GET /metrics", srv.Metrics)
				metricsCtx, stopMetrics := context.WithCancel(ctx)
				metricsDone := make(chan error, 1)
				go func() { metricsDone <- serveUntilDone(metricsCtx, mln, hostguard.Guard(mux, allowedHosts)) }()
				defer func() { stopMetrics(); <-metricsDone }()
				fmt.Fprintf(cmd.OutOrStdout(), "metrics: http://%s/metrics\n", mln.Addr())
			}
			return serveUntilDone(ctx, ln, hostguard.Guard(srv.Handler, allowedHosts))
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "riffle-data", "data directory of the embedded log")
	cmd.Flags().StringVar(&listen, "listen", DefaultListen, "address to serve on")
	cmd.Flags().StringVar(&natsURL, "nats", "", "use this NATS server or cluster instead of the embedded one")
	cmd.Flags().DurationVar(&retention, "retention", streamlog.DefaultRetention, "how long records are kept")
	cmd.Flags().Int64Var(&maxStore, "max-store", 0, "bytes the embedded log may store (default: the data directory's filesystem)")
	cmd.Flags().Int64Var(&minFree, "min-free", streamlog.DefaultMinFree, "bytes puts leave free on the data directory's filesystem (they are refused, retryably, below)")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow a non-loopback --listen without --auth")
	cmd.Flags().Int64Var(&bodyMemoryMiB, "max-body-memory", awsjson.DefaultBodyMemory>>20, "MiB of request bodies held at once (a body is read whole before its signature is checked); a request beyond it is answered 503, which the SDKs retry")
	cmd.Flags().Int64Var(&forestMemoryMiB, "max-forest-memory", app.DefaultForestMemory>>20, "MiB the RANDOM_CUT_FOREST models of one application may hold together, checked when its code is saved and when it starts")
	cmd.Flags().IntVar(&maxConns, "max-connections", 0, "connections served at once; one more is answered 503 (default: half the limit on open files, which riffle serve raises to its hard limit, between 64 and 16384)")
	cmd.Flags().StringSliceVar(&allowedHosts, "allowed-host", nil, "a name clients reach the server by (repeatable); requests naming any other host than these, an IP address or localhost are refused (DNS rebinding)")
	cmd.Flags().Float64Var(&timeScale, "time-scale", 1, "application time runs this many times faster than the wall clock (demos, tests)")
	cmd.Flags().StringVar(&buckets, "buckets", "", "the directory standing for S3 (reference data sources, delivery streams): BUCKET/KEY (default DATA/buckets)")
	cmd.Flags().DurationVar(&kinesisTolerance, "kinesis-tolerance", app.DefaultKinesisTolerance, "how far the arrival stamps of a Kinesis input that is not this server's may lag this machine's clock: its applications' clocks wait that long for its records")
	cmd.Flags().DurationVar(&checkpoint, "checkpoint", 5*time.Second, "how often running applications save their state")
	cmd.Flags().StringVar(&outputDir, "outputs", "", "the directory of file outputs (default DATA/outputs)")
	cmd.Flags().StringArrayVar(&functions, "function", nil, "a Lambda-compatible function outputs may name: NAME=URL (repeatable; reached whatever its address)")
	cmd.Flags().BoolVar(&allowPrivateURLs, "allow-private-urls", false, allowPrivateURLsUsage)
	cmd.Flags().StringArrayVar(&notifiers, "notifier", nil, "a built-in notification function outputs may name: NAME=CONFIG.yaml (repeatable; see docs/notify.md)")
	cmd.Flags().StringVar(&node, "node", "", "this server's name among those sharing one NATS cluster (default with --nats: HOST-PORT)")
	cmd.Flags().DurationVar(&leaseTTL, "lease-ttl", app.DefaultLeaseTTL, "with --node or --nats: how long an application's lease lasts unrenewed before another node takes it over")
	cmd.Flags().IntVar(&replicas, "replicas", 0, "how many NATS servers hold each stream and bucket the server creates (default: 1 embedded; with --nats, 3 when the cluster has 3 servers or more, else 1)")
	cmd.Flags().StringArrayVar(&awsEndpoints, "aws-endpoint", nil, "send an AWS service's requests to this endpoint instead of AWS's: SERVICE=URL, SERVICE one of firehose, kinesis, lambda, s3, e.g. s3=http://127.0.0.1:4568 (repeatable; S3 then addressed path-style; default the SDK's AWS_ENDPOINT_URL_<SERVICE>)")
	cmd.Flags().StringVar(&metricsListen, "metrics-listen", "", "also serve /metrics without a signature on this address, for a Prometheus scraper (loopback unless --insecure); under --auth the main address asks for one")
	cmd.Flags().StringVar(&authFile, "auth", "", `check request signatures (SigV4) against a JSON file {"ACCESS_KEY_ID": "SECRET", ...}`)
	return cmd
}

// allowPrivateURLsUsage is the --allow-private-urls flag's help, on every
// command that runs applications.
const allowPrivateURLsUsage = "let the URLs given through the API (a reference data source's key, a Lambda output's function URL) reach loopback, link-local (169.254.169.254), private and other non-public addresses, refused by default"

// serverFunctions are the functions outputs may name: HTTP endpoints and
// built-in notifiers, each checked now (a notifier reaches its SMTP
// server) so a bad one stops the server from starting.
func serverFunctions(ctx context.Context, urls, notifiers []string, out io.Writer, logger *slog.Logger) (map[string]destination.Function, error) {
	fns := map[string]destination.Function{}
	named := func(flag, value string) (string, string, error) {
		name, arg, ok := strings.Cut(value, "=")
		if !ok || name == "" || arg == "" {
			return "", "", fmt.Errorf("--%s %q: want NAME=VALUE", flag, value)
		}
		if _, dup := fns[name]; dup {
			return "", "", fmt.Errorf("--%s %s: a function has that name already", flag, name)
		}
		return name, arg, nil
	}
	for _, value := range urls {
		name, url, err := named("function", value)
		if err != nil {
			return nil, err
		}
		f, err := destination.NewHTTPFunction(url, nil)
		if err != nil {
			return nil, fmt.Errorf("--function %s: %w", name, err)
		}
		fns[name] = f
	}
	for _, value := range notifiers {
		name, path, err := named("notifier", value)
		if err != nil {
			return nil, err
		}
		cfg, err := notify.Load(path)
		if err != nil {
			return nil, fmt.Errorf("--notifier %s: %w", name, err)
		}
		n, err := notify.New(ctx, cfg, notify.Options{Log: out, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("--notifier %s: %w", name, err)
		}
		fns[name] = n
	}
	return fns, nil
}

// defaultNode names a node after its host and the port it serves on,
// which two servers on one host cannot share.
func defaultNode(addr net.Addr) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "riffle"
	}
	clean := func(s string) string {
		s = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
				return r
			}
			return '-'
		}, s)
		for strings.Contains(s, "..") {
			s = strings.ReplaceAll(s, "..", ".")
		}
		return strings.Trim(s, ".")
	}
	port := "0"
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = fmt.Sprint(tcp.Port)
	}
	return clean(host) + "-" + port
}

func storage(dir, url string) string {
	if url != "" {
		return url
	}
	return dir
}
