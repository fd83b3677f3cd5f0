package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/generator"
)

func newGenCommand() *cobra.Command {
	var (
		scenario, templateText, name, stream, endpoint, kind, region, replay, start string
		rate, spread, speed                                                         float64
		duration                                                                    time.Duration
		count                                                                       int
		seed                                                                        uint64
		toStdout, forever, toAWS                                                    bool
	)
	cmd := &cobra.Command{
		Use:   "gen (--scenario lab|FILE | --template TEXT|@FILE [--rate N]) (--stream NAME | --stdout | --replay FILE)",
		Short: "Generate records from Kinesis Data Generator templates and send them",
		Long: `Renders KDG templates ({{random.number(100)}}, {{date.now("YYYY-MM-DD")}}, ...) and sends
the records, each ending with a newline as the KDG's do, from several senders at once:
to a delivery stream or data stream (--stream NAME) of riffle serve (--endpoint-url,
default ` + "http://" + DefaultListen + `) or of any Firehose/Kinesis-compatible endpoint
(--aws for AWS itself; credentials from the usual AWS environment), to standard
output, or to a replay file that riffle run reads (written at once, on the
scenario's clock). --scenario lab is the clickstream lab's traffic; a scenario file
(YAML) lists senders with their template, rate, start, duration, count and repeat.
The same --seed gives the same records.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var s generator.Scenario
			switch {
			case scenario != "" && templateText != "":
				return fmt.Errorf("give --scenario or --template, not both")
			case scenario != "":
				var err error
				if s, err = generator.LoadScenario(scenario); err != nil {
					return err
				}
			case templateText != "":
				if forever {
					return fmt.Errorf("--forever repeats a scenario; a --template sender runs until --count or --duration, and without either until stopped")
				}
				text := templateText
				if file, ok := strings.CutPrefix(templateText, "@"); ok {
					data, err := os.ReadFile(file)
					if err != nil {
						return err
					}
					text = string(data)
				}
				s = generator.Scenario{Name: name, Senders: []generator.Sender{{Name: name, Template: text, Rate: rate, Spread: spread, Duration: duration, Count: count}}}
				if err := s.Validate(); err != nil {
					return err
				}
			default:
				return fmt.Errorf("give --scenario or --template")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			opts := generator.Options{Seed: seed, Speed: speed, Forever: forever}
			if start != "" {
				t, err := time.Parse(time.RFC3339Nano, start)
				if err != nil {
					return fmt.Errorf("--start: %w", err)
				}
				opts.Start = t
			}
			report := cmd.OutOrStdout()
			var replayTarget *generator.ReplayTarget
			targets := 0
			for _, given := range []bool{stream != "", toStdout, replay != ""} {
				if given {
					targets++
				}
			}
			if targets != 1 {
				return fmt.Errorf("give one target: --stream NAME, --stdout or --replay FILE")
			}
			switch {
			case toStdout:
				opts.Target = generator.NewWriterTarget(cmd.OutOrStdout())
				report = cmd.ErrOrStderr()
			case replay != "":
				f, err := os.Create(replay)
				if err != nil {
					return err
				}
				defer f.Close()
				replayTarget = generator.NewReplayTarget(f)
				opts.Target = replayTarget
				if opts.Start.IsZero() {
					opts.Start = time.Now().UTC().Truncate(time.Second)
				}
			default:
				if toAWS {
					endpoint = ""
				}
				conf := generator.StreamConfig{Name: stream, Kind: kind, Endpoint: endpoint, Region: region}
				if !toAWS {
					conf.HTTPClient = serveClient()
				}
				t, err := generator.NewStreamTarget(ctx, conf)
				if err != nil {
					return targetError(err, stream, endpoint)
				}
				opts.Target = t
			}
			run, err := generator.Start(ctx, s, opts)
			if err != nil {
				return err
			}
			if generator.IsTerminal(report) {
				generator.ShowProgress(ctx, report, run, 500*time.Millisecond)
			}
			<-run.Done()
			if replayTarget != nil {
				if err := replayTarget.Flush(); err != nil {
					return err
				}
			}
			if err := run.Err(); err != nil && ctx.Err() == nil {
				return err
			}
			if ctx.Err() != nil && cmd.Context().Err() == nil {
				// Interrupted (Ctrl-C, SIGTERM): a normal end. Records in
				// flight then count as sent, not acknowledged.
				sent, acked, _ := run.Totals()
				fmt.Fprintf(report, "stopped: %d sent, %d acknowledged\n", sent, acked)
				return nil
			}
			return summarize(report, run)
		},
	}
	f := cmd.Flags()
	f.StringVar(&scenario, "scenario", "", `a scenario: "lab" (built in) or a YAML file`)
	f.StringVar(&templateText, "template", "", "one sender's template, or @FILE")
	f.StringVar(&name, "name", "template", "that sender's name")
	f.Float64Var(&rate, "rate", 1, "its records per second; 0 sends --count records as fast as the target takes them")
	f.Float64Var(&spread, "spread", 0, "standard deviation of its records in each second (Gaussian)")
	f.DurationVar(&duration, "duration", 0, "how long it sends (0: until --count, or until stopped)")
	f.IntVar(&count, "count", 0, "how many records it sends (0: no limit)")
	f.StringVar(&stream, "stream", "", "the delivery stream or data stream to send to")
	f.StringVar(&endpoint, "endpoint-url", "http://"+DefaultListen, "the Firehose/Kinesis-compatible endpoint")
	f.BoolVar(&toAWS, "aws", false, "send to AWS itself, not --endpoint-url")
	f.StringVar(&kind, "kind", "", "firehose or kinesis (default: ask the endpoint which the stream is)")
	f.StringVar(&region, "region", "", "the region (default from the AWS environment, else us-east-1)")
	f.BoolVar(&toStdout, "stdout", false, "write the records to standard output")
	f.StringVar(&replay, "replay", "", "write a replay file (arrival times on the scenario's clock)")
	f.StringVar(&start, "start", "", "the scenario's start time, RFC 3339 (a replay's first arrival; default now)")
	f.Uint64Var(&seed, "seed", 1, "the same seed gives the same records")
	f.Float64Var(&speed, "speed", 1, "scenario seconds per wall second")
	f.BoolVar(&forever, "forever", false, "start the scenario again each time it ends")
	return cmd
}

// targetError says in one line why a stream could not be used: no server
// at the endpoint, no such stream there, or credentials it refused; other
// errors stay as they are.
func targetError(err error, stream, endpoint string) error {
	if u := asUnreachable(err); u != nil {
		return u
	}
	where := endpoint
	if where == "" {
		where = "AWS"
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException", "AccessDeniedException", "ExpiredTokenException":
			return fmt.Errorf("%s refused the credentials (%s): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to a key it accepts (for riffle serve --auth, a key of its file)", where, api.ErrorMessage())
		case "ResourceNotFoundException":
			return fmt.Errorf("no stream %s at %s: neither a delivery stream nor a data stream (riffle streams are made with the Firehose or Kinesis API, or in the console)", stream, where)
		}
	}
	return err
}

// summarize writes a finished run's totals; records that could not be sent
// make the command fail.
func summarize(w io.Writer, run *generator.Run) error {
	generator.Summary(w, run)
	if _, _, failed := run.Totals(); failed > 0 {
		return fmt.Errorf("%d records could not be sent", failed)
	}
	return nil
}
