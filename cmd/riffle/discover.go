package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
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
			s, err := loadSchema("", args[0])
			if err != nil {
				return err
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
