package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/internal/hostguard"
	"github.com/riffle-sql/riffle/notify"
)

// DefaultNotifyListen is where riffle notify serve listens unless told otherwise.
const DefaultNotifyListen = "127.0.0.1:9001"

func newNotifyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "The lab's notification function: a topic with email, SMS and log subscriptions",
		Long: `The notification function of the clickstream lab (an SNS topic behind a Lambda
function), built in. See docs/notify.md for its configuration.`,
	}
	cmd.AddCommand(newNotifyServeCommand())
	return cmd
}

func newNotifyServeCommand() *cobra.Command {
	var (
		config, listen, basicAuth string
		insecure                  bool
		allowedHosts              []string
	)
	cmd := &cobra.Command{
		Use:   "serve --config FILE [--listen 127.0.0.1:9001] [--basic-auth USER:PASS] [--insecure]",
		Short: "Serve the notification function over HTTP, as a Lambda-compatible endpoint",
		Long: `Serves the notifier of a configuration file (docs/notify.md) over HTTP: POST a
Kinesis Data Analytics Lambda-destination event as JSON, get the function's
response (a result per record). An application's output can point at it as an
HTTP destination. The configuration is checked, and the SMTP server tried, before
it serves. It listens on loopback unless told otherwise; another address needs
--basic-auth (or --insecure), as anyone who reaches it could send notifications.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			local, err := isLoopback(listen)
			if err != nil {
				return err
			}
			var user, pass string
			if basicAuth != "" {
				var ok bool
				user, pass, ok = strings.Cut(basicAuth, ":")
				if !ok || user == "" {
					return errors.New("--basic-auth: want USER:PASS")
				}
			}
			if !local && basicAuth == "" && !insecure {
				return fmt.Errorf("--listen %s is not a loopback address: without --basic-auth anyone could send notifications through it; add --insecure to do it anyway", listen)
			}
			cfg, err := notify.Load(config)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			n, err := notify.New(ctx, cfg, notify.Options{Log: cmd.OutOrStdout(), Logger: logger})
			if err != nil {
				return fmt.Errorf("%s: %w", config, err)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			handler := n.Handler()
			if basicAuth != "" {
				handler = notifyBasicAuth(user, pass, handler)
			}
			subs := fmt.Sprintf("%d subscriptions", len(cfg.Subscriptions))
			if len(cfg.Subscriptions) == 1 {
				subs = "1 subscription"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "riffle notify serving topic %s on http://%s/ (%s)\n", cfg.Topic, ln.Addr(), subs)
			return serveUntilDone(ctx, ln, hostguard.Guard(handler, allowedHosts))
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the notifier's configuration (YAML, see docs/notify.md)")
	cmd.Flags().StringVar(&listen, "listen", DefaultNotifyListen, "address to serve on")
	cmd.Flags().StringVar(&basicAuth, "basic-auth", "", "require HTTP Basic auth with these credentials, USER:PASS")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow a non-loopback --listen without --basic-auth")
	cmd.Flags().StringSliceVar(&allowedHosts, "allowed-host", nil, "a name clients reach it by (repeatable); requests naming any other host than these, an IP address or localhost are refused (DNS rebinding)")
	cmd.MarkFlagRequired("config")
	return cmd
}

// notifyBasicAuth lets through only the requests that carry the credentials.
func notifyBasicAuth(user, pass string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		// Both compared, in constant time, so the answer's timing tells nothing.
		userOK := subtle.ConstantTimeCompare([]byte(u), []byte(user)) == 1
		passOK := subtle.ConstantTimeCompare([]byte(p), []byte(pass)) == 1
		if !ok || !userOK || !passOK {
			w.Header().Set("WWW-Authenticate", `Basic realm="riffle notify", charset="UTF-8"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"errorType": "Unauthorized", "errorMessage": "missing or wrong basic auth credentials"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
