package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/demo"
	"github.com/riffle-sql/riffle/notify"
)

func newDemoCommand() *cobra.Command {
	var o demo.Options
	var notifyFile string
	cmd := &cobra.Command{
		Use:   "demo [--speed 8] [--data DIR] [--notify CONFIG.yaml] [--forever]",
		Short: "Run the clickstream anomaly lab end to end, in about a minute",
		Long: `Starts the server in this process (data in a temporary directory unless --data),
creates the delivery stream (archiving the raw clickstream as the lab's Firehose
does: GZIP objects under DATA/buckets/clickstream-raw/weblogs/raw/), the lab's
application and its notification function, then sends the lab's traffic (impressions and clicks at 1/s, three bursts of extra
clicks) through the Firehose API on a clock --speed times faster than real time:
the application's ROWTIME and the generator's schedule both, so 10-second windows
keep their meaning. Each anomaly is printed as it is detected, beginning with
its application time, where the console shows it (and emailed or texted with
--notify, a notifier configuration: docs/notify.md). At the end it writes a
chart of the click-through rate and the anomaly scores (SVG) and says whether
every burst was caught. A machine too busy for --speed (records stored more
than 0.5 s of application time late) is told so, with a lower --speed to try,
rather than shown false alarms. --forever keeps the traffic going until Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			local, err := isLoopback(o.Listen)
			if err != nil {
				return err
			}
			if !local {
				return fmt.Errorf("--listen %s: the demo serves loopback only (it has no credentials)", o.Listen)
			}
			if notifyFile != "" {
				cfg, err := notify.Load(notifyFile)
				if err != nil {
					return err
				}
				o.Notify = &cfg
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			o.Out = cmd.OutOrStdout()
			o.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			res, err := demo.Run(ctx, o)
			if err != nil {
				return err
			}
			if res.Caught() {
				return nil
			}
			// A machine that did not keep the clock miscounts windows:
			// say that, not false alarms that are its own.
			if msg := res.Behind(); msg != "" {
				return errors.New(msg)
			}
			return fmt.Errorf("%d of %d bursts detected, %d false alarms: see %s", res.BurstsDetected, res.Bursts, res.FalseAlarms, res.Chart)
		},
	}
	f := cmd.Flags()
	f.Float64Var(&o.Speed, "speed", demo.DefaultSpeed, "application and generator seconds per wall second")
	f.StringVar(&o.Data, "data", "", "keep the data in this directory (default: a temporary one, removed at the end)")
	f.StringVar(&o.Listen, "listen", DefaultListen, "the server's address (loopback)")
	f.StringVar(&notifyFile, "notify", "", "a notifier configuration adding email or SMS subscriptions")
	f.StringVar(&o.Chart, "chart", "riffle-demo.svg", "where the chart goes")
	f.Uint64Var(&o.Seed, "seed", 1, "the generator's seed")
	f.BoolVar(&o.Forever, "forever", false, "keep sending until Ctrl-C")
	f.BoolVar(&o.AllowPrivateURLs, "allow-private-urls", false, allowPrivateURLsUsage)
	return cmd
}
