package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/replay"
	"github.com/riffle-sql/riffle/runner"
)

func newDiscoverCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "discover FILE",
		Short: "Print the input schema discovered from a replay file's first records",
		Long: `Reads the first records of a replay file and prints the schema the service's
schema discovery would propose (the SourceSchema JSON that riffle run --schema
takes): one column per JSON field, named and typed from the values seen.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
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
					return fmt.Errorf("%s: %w", args[0], err)
				}
				samples = append(samples, rec.Data)
			}
			s, err := record.Discover(samples)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			out, err := json.MarshalIndent(s, "", "  ")
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(out))
			return nil
		},
	}
}
