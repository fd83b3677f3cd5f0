// Command riffle runs Kinesis Data Analytics for SQL applications on your
// own machines. Each subcommand lives in its own file.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "riffle:", err)
		}
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "riffle",
		Short:         "Real-time streaming SQL with built-in anomaly detection",
		Long:          "Riffle runs Amazon Kinesis Data Analytics for SQL applications unchanged, on a laptop or a cluster.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRCFCommand(), newCheckCommand(), newRunCommand(), newDiscoverCommand(), newServeCommand(), newTailCommand(), newAppsCommand(), newNotifyCommand(), newGenCommand(), newDemoCommand(), newRepairCommand(), newClusterCommand())
	return root
}
