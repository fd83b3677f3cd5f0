package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/ingest"
	"github.com/riffle-sql/riffle/streamlog"
)

// DefaultListen is where riffle serve listens unless told otherwise.
const DefaultListen = "127.0.0.1:4573"

func newServeCommand() *cobra.Command {
	var (
		dataDir, listen, natsURL string
		retention                time.Duration
		insecure                 bool
	)
	cmd := &cobra.Command{
		Use:   "serve [--data DIR] [--listen 127.0.0.1:4573] [--nats URL]",
		Short: "Run the Riffle server: the Firehose-compatible ingestion API over a durable log",
		Long: `Serves the AWS JSON 1.1 APIs on one HTTP port (the AWS CLI and SDKs work with
--endpoint-url): Kinesis Data Firehose (Firehose_20150804) so far. Records are stored
in NATS JetStream, embedded with its files under --data, or an existing NATS server
or cluster with --nats; a request is answered only once its records are stored.
The server listens on loopback unless told otherwise; another address needs
--insecure until request signatures are checked (--auth, to come).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host, _, err := net.SplitHostPort(listen)
			if err != nil {
				return fmt.Errorf("--listen %q: %w", listen, err)
			}
			if ip := net.ParseIP(host); !(host == "localhost" || ip != nil && ip.IsLoopback()) && !insecure {
				return fmt.Errorf("--listen %s is not a loopback address: without credentials anyone could write to it; add --insecure to do it anyway", listen)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			l, err := streamlog.Open(ctx, streamlog.Config{Dir: dataDir, URL: natsURL, Retention: retention})
			if err != nil {
				return err
			}
			defer l.Close()
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: ingest.New(l, ingest.Options{Logger: logger}), ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(cmd.OutOrStdout(), "riffle serving on http://%s (data in %s)\n", ln.Addr(), storage(dataDir, natsURL))
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "riffle-data", "data directory of the embedded log")
	cmd.Flags().StringVar(&listen, "listen", DefaultListen, "address to serve on")
	cmd.Flags().StringVar(&natsURL, "nats", "", "use this NATS server or cluster instead of the embedded one")
	cmd.Flags().DurationVar(&retention, "retention", streamlog.DefaultRetention, "how long records are kept")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow a non-loopback --listen without credentials")
	return cmd
}

func storage(dir, url string) string {
	if url != "" {
		return url
	}
	return dir
}
