package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/sql/parser"
)

// errReported tells main that the command already printed its errors.
var errReported = errors.New("errors reported")

func newCheckCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check APP.sql",
		Short: "Check an application's SQL and report every error with its position",
		Long: `Reads an application's SQL and prints every error as FILE:LINE:COLUMN: message.
Exits 0 when the SQL is sound, 1 otherwise. Today it checks the syntax of the
whole dialect; checks of names and types come with the planner.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			script, err := parser.Parse(string(src))
			var list parser.ErrorList
			if errors.As(err, &list) {
				fmt.Fprint(cmd.ErrOrStderr(), list.WithFile(args[0]))
				return errReported
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d statements, no errors\n", args[0], len(script.Statements))
			return nil
		},
	}
}
