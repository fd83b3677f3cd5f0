// Command riffle runs Kinesis Data Analytics for SQL applications on your
// own machines. Each subcommand lives in its own file.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

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
		Version:       versionLine(),
	}
	root.SetVersionTemplate("riffle {{.Version}}\n")
	root.AddCommand(newRCFCommand(), newCheckCommand(), newRunCommand(), newDiscoverCommand(), newServeCommand(), newTailCommand(), newAppsCommand(), newNotifyCommand(), newGenCommand(), newDemoCommand(), newRepairCommand(), newClusterCommand())
	refuseUnknownSubcommands(root)
	return root
}

// refuseUnknownSubcommands makes each group of commands below the root
// (riffle apps, cluster, notify) fail on a word that is none of its
// subcommands: cobra checks this only at the root, and below it prints the
// help and exits 0. Alone, a group still prints its help.
func refuseUnknownSubcommands(root *cobra.Command) {
	for _, c := range root.Commands() {
		refuseUnknownSubcommands(c)
		if !c.HasSubCommands() || c.Run != nil || c.RunE != nil {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		c.SuggestionsMinimumDistance = 2 // cobra's default at the root
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return errors.New(msg + " (" + cmd.CommandPath() + " --help lists them)")
		}
	}
}
