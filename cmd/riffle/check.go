package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/replay"
	"github.com/riffle-sql/riffle/runner"
	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/parser"
	"github.com/riffle-sql/riffle/sql/plan"
)

// errReported tells main that the command already printed its errors.
var errReported = errors.New("errors reported")

func newCheckCommand() *cobra.Command {
	var (
		schemaPath, replayPath string
		references             []string
		in                     inputFlags
	)
	cmd := &cobra.Command{
		Use:   "check APP.sql [--schema SCHEMA.json | --replay FILE] [--reference NAME=FILE]... [--input PREFIX] [--input-parallelism N]",
		Short: "Check an application's SQL and report every error with its position",
		Long: `Reads an application's SQL and prints every error as FILE:LINE:COLUMN: message.
Exits 0 when the SQL is sound, 1 otherwise. With the input's schema (--schema, or
discovered from --replay) it also checks names, types, windows and pumps, as the
service does when an application is saved; without one it checks the syntax.
Reference tables the SQL joins come with --reference; an input other than
SOURCE_SQL_STREAM_001 with --input and --input-parallelism, as for run.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			schema, err := loadSchema(schemaPath, replayPath)
			if err != nil {
				return err
			}
			tables, err := loadReferences(references)
			if err != nil {
				return err
			}
			prefix, parallelism, err := in.check()
			if err != nil {
				return err
			}
			if schema == nil {
				script, err := parser.Parse(string(src))
				if err != nil {
					return reportSQLErrors(cmd, args[0], err)
				}
				fmt.Fprint(cmd.ErrOrStderr(), notesWithFile(args[0], plan.Notes(script)))
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d statements, syntax OK (give --schema or --replay to check names and types too)\n", args[0], len(script.Statements))
				return nil
			}
			g, err := compile.Plan(compile.Options{SQL: string(src), Schema: *schema, Application: "check",
				Inputs: compile.InputNames(prefix, parallelism), Tables: tables})
			var notes ast.ErrorList
			if g != nil {
				notes = g.Notes
			}
			if err != nil {
				return reportSQLErrorsAndNotes(cmd, args[0], err, notes)
			}
			fmt.Fprint(cmd.ErrOrStderr(), notesWithFile(args[0], notes))
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d streams, %d pumps, no errors\n", args[0], len(g.Streams), len(g.Pumps))
			return nil
		},
	}
	cmd.Flags().StringVar(&schemaPath, "schema", "", "input schema (the service's SourceSchema JSON)")
	cmd.Flags().StringVar(&replayPath, "replay", "", "replay file to discover the input schema from")
	cmd.Flags().StringArrayVar(&references, "reference", nil, "reference table NAME=FILE (JSON objects one a line, or CSV with a header), repeatable")
	in.add(cmd)
	cmd.MarkFlagsMutuallyExclusive("schema", "replay")
	return cmd
}

// reportSQLErrors prints positioned SQL errors as FILE:LINE:COLUMN lines
// (and then tells main they are reported); other errors pass through.
func reportSQLErrors(cmd *cobra.Command, file string, err error) error {
	return reportSQLErrorsAndNotes(cmd, file, err, nil)
}

// reportSQLErrorsAndNotes is reportSQLErrors with the notes among the
// errors, in source order.
func reportSQLErrorsAndNotes(cmd *cobra.Command, file string, err error, notes ast.ErrorList) error {
	var list ast.ErrorList
	if !errors.As(err, &list) {
		return err
	}
	all := append(ast.ErrorList{}, list...)
	for _, n := range notes {
		all = append(all, &ast.Error{Pos: n.Pos, Msg: "note: " + n.Msg})
	}
	fmt.Fprint(cmd.ErrOrStderr(), all.Sorted().WithFile(file))
	return errReported
}

// notesWithFile renders notes as FILE:LINE:COLUMN: note: message lines.
func notesWithFile(file string, notes ast.ErrorList) string {
	var b strings.Builder
	for _, n := range notes {
		fmt.Fprintf(&b, "%s:%s: note: %s\n", file, n.Pos, n.Msg)
	}
	return b.String()
}

// loadSchema reads a schema file, or discovers one from a replay file's
// first records; nil when neither is given.
func loadSchema(schemaPath, replayPath string) (*record.Schema, error) {
	switch {
	case schemaPath != "":
		data, err := os.ReadFile(schemaPath)
		if err != nil {
			return nil, err
		}
		s, err := record.ParseSchema(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", schemaPath, err)
		}
		return &s, nil
	case replayPath != "":
		f, err := os.Open(replayPath)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		rd := replay.NewReader(f)
		var samples [][]byte
		for len(samples) < runner.DiscoverySample {
			rec, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", replayPath, err)
			}
			samples = append(samples, rec.Data)
		}
		s, err := record.Discover(samples)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", replayPath, err)
		}
		return &s, nil
	}
	return nil, nil
}
