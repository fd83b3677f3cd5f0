package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/runner"
)

func newRunCommand() *cobra.Command {
	var (
		replayPath, schemaPath string
		streams, references    []string
		seed                   uint64
	)
	cmd := &cobra.Command{
		Use:   "run APP.sql --replay FILE [--reference NAME=FILE]...",
		Short: "Run an application over a replay file on a simulated clock",
		Long: `Runs an application's SQL over a replay file (one {"arrival": ..., "data": ...}
object a line), with ROWTIME taken from the arrival times, and prints the rows of
the chosen in-application streams as JSON lines. At the end of the file the clock
runs on, so every open window emits. Without --schema, the input schema is
discovered from the first records. The same file and seed print the same lines.`,
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
			for _, ref := range references {
				name, path, ok := strings.Cut(ref, "=")
				if !ok || name == "" {
					return fmt.Errorf("--reference %q: want NAME=FILE", ref)
				}
				tf, err := os.Open(path)
				if err != nil {
					return err
				}
				t, err := compile.LoadTable(name, tf)
				tf.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				opts.Tables = append(opts.Tables, t)
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
	cmd.Flags().StringArrayVar(&references, "reference", nil, "reference table NAME=FILE (JSON objects, one a line), repeatable")
	_ = cmd.MarkFlagRequired("replay")
	return cmd
}
