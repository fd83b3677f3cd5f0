package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/streamlog"
)

func newRepairCommand() *cobra.Command {
	var (
		dataDir, natsURL string
		apply            bool
	)
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "Find stored state that cannot be read, say what resetting it costs, and reset it with --apply",
		Long: `repair looks through the applications of a data directory (or a NATS
server): definitions that do not parse, applications stored RUNNING that
cannot run, checkpoints and acknowledgements that do not parse, streams
whose storage lost records. For each
it says what is wrong and what resetting it would replay or lose; with
--apply it resets them. Run it while no riffle serve uses the data (it
takes the directory's lock). Exit status 1 when something is wrong and
--apply was not given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			l, err := streamlog.Open(ctx, streamlog.Config{Dir: dataDir, URL: natsURL, Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))})
			if err != nil {
				return err
			}
			defer l.Close()
			store, err := app.OpenStore(ctx, l)
			if err != nil {
				return err
			}
			repairs, err := store.Diagnose(ctx, time.Now())
			if err != nil {
				return err
			}
			losses, err := l.Losses(ctx)
			if err != nil {
				return err
			}
			for _, loss := range losses {
				repairs = append(repairs, app.NewRepair(
					fmt.Sprintf("stream %s lost %d batches of records (numbers %d to %d) in its storage, found %s",
						loss.Stream, loss.Lost.Batches, loss.Lost.First, loss.Lost.Last, loss.Lost.Detected.UTC().Format(time.RFC3339)),
					fmt.Sprintf("acknowledge the loss of stream %s: those records cannot be read back (applications that had not read them never will); "+
						"DescribeStream and riffle_stream_lost_batches stop reporting it", loss.Stream),
					func(ctx context.Context) error {
						_, err := l.Acknowledge(ctx, loss.Stream)
						return err
					}))
			}
			out := cmd.OutOrStdout()
			if len(repairs) == 0 {
				fmt.Fprintf(out, "%s: nothing to repair\n", storage(dataDir, natsURL))
				return nil
			}
			for _, r := range repairs {
				fmt.Fprintf(out, "%s\n  reset: %s\n", r.Problem, r.Fix)
				if apply {
					if err := r.Apply(ctx); err != nil {
						return fmt.Errorf("reset failed: %w", err)
					}
					fmt.Fprintln(out, "  done")
				}
			}
			if !apply {
				fmt.Fprintf(out, "%d to reset: run again with --apply to reset them\n", len(repairs))
				return errReported
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "riffle-data", "data directory of the embedded log")
	cmd.Flags().StringVar(&natsURL, "nats", "", "use this NATS server or cluster instead of the embedded one")
	cmd.Flags().BoolVar(&apply, "apply", false, "reset what cannot be read (without it, only say what would be done)")
	return cmd
}
