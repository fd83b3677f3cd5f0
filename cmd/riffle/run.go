package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/runner"
	"github.com/riffle-sql/riffle/sql/plan"
)

func newRunCommand() *cobra.Command {
	var (
		replayPath, schemaPath string
		streams, references    []string
		seed                   uint64
		in                     inputFlags
	)
	cmd := &cobra.Command{
		Use:   "run APP.sql --replay FILE [--reference NAME=FILE]... [--input PREFIX] [--input-parallelism N]",
		Short: "Run an application over a replay file on a simulated clock",
		Long: `Runs an application's SQL over a replay file (one {"arrival": ..., "data": ...}
object a line), with ROWTIME taken from the arrival times, and prints the rows of
the chosen in-application streams as JSON lines. At the end of the file the clock
runs on, so every open window emits. Without --schema, the input schema is
discovered from the first records. The same file and seed print the same lines.
The input fills SOURCE_SQL_STREAM_001 unless --input names another prefix; with
--input-parallelism N it fills PREFIX_001 to PREFIX_00N, a record going to the
stream of its replay line's "shard" (mod N), or in turn when lines name none.`,
		Example: `  riffle run anomaly_detection.sql --replay traffic.jsonl
  riffle run app.sql --replay traffic.jsonl --stream CTRSTREAM --stream error_stream`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sql, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			opts := runner.Options{SQL: string(sql), Streams: streams, Seed: seed,
				Application: strings.TrimSuffix(filepath.Base(args[0]), filepath.Ext(args[0]))}
			if opts.Schema, err = loadSchema(schemaPath, ""); err != nil {
				return err
			}
			if opts.Tables, err = loadReferences(references); err != nil {
				return err
			}
			if opts.Input, opts.Parallelism, err = in.check(); err != nil {
				return err
			}
			f, err := os.Open(replayPath)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := runner.Run(opts, f, cmd.OutOrStdout()); err != nil {
				if reported := reportSQLErrors(cmd, args[0], err); reported != err {
					return reported
				}
				return fmt.Errorf("%s: %w", replayPath, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&replayPath, "replay", "", "replay file to run over")
	cmd.Flags().StringVar(&schemaPath, "schema", "", "input schema (the service's SourceSchema JSON); default: discovered")
	cmd.Flags().StringArrayVar(&streams, "stream", nil, "in-application stream to print, repeatable (default DESTINATION_SQL_STREAM)")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "mixed into every RANDOM_CUT_FOREST seed")
	cmd.Flags().StringArrayVar(&references, "reference", nil, "reference table NAME=FILE (JSON objects one a line, or CSV with a header), repeatable")
	in.add(cmd)
	_ = cmd.MarkFlagRequired("replay")
	return cmd
}

// inputFlags are the input configuration of run and check: the service's
// NamePrefix and InputParallelism.
type inputFlags struct {
	prefix      string
	parallelism int
}

func (f *inputFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.prefix, "input", compile.InputPrefix, "the input's name prefix: the SQL reads PREFIX_001 (and _002... with --input-parallelism)")
	cmd.Flags().IntVar(&f.parallelism, "input-parallelism", 1, "in-application input streams, 1 to 64: PREFIX_001 to PREFIX_00N")
}

var numberedStream = regexp.MustCompile(`_[0-9]{3}$`)

// check validates the flags as the service validates an input.
func (f *inputFlags) check() (string, int, error) {
	if f.parallelism < 1 || f.parallelism > 64 {
		return "", 0, fmt.Errorf("--input-parallelism %d: the service allows 1 to 64 input streams", f.parallelism)
	}
	if !validStreamName.MatchString(f.prefix) {
		return "", 0, fmt.Errorf("--input %q: a name prefix is 1 to 32 letters, digits and underscores", f.prefix)
	}
	if numberedStream.MatchString(f.prefix) {
		base := f.prefix[:len(f.prefix)-4]
		return "", 0, fmt.Errorf("--input takes the name prefix, as the service's input configuration does: --input %s gives %s", base, f.prefix)
	}
	return f.prefix, f.parallelism, nil
}

var validStreamName = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

// loadReferences reads --reference NAME=FILE tables.
func loadReferences(refs []string) ([]*plan.Table, error) {
	var tables []*plan.Table
	for _, ref := range refs {
		name, path, ok := strings.Cut(ref, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--reference %q: want NAME=FILE", ref)
		}
		tf, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		t, err := compile.LoadTable(name, tf)
		tf.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		tables = append(tables, t)
	}
	return tables, nil
}
