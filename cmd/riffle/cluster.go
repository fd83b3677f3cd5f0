package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/api"
)

func newClusterCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Show the nodes sharing a NATS cluster (riffle serve --nats)",
	}
	var server, region string
	status := &cobra.Command{
		Use:   "status",
		Short: "List the live nodes and which node runs each RUNNING application",
		Long: `Prints the cluster's status as any node sees it in the shared buckets (see
docs/cluster.md): the live nodes, then each RUNNING application with the node
holding its lease and the lease's age (time since its last renewal, on the
answering node's clock; a lease older than the TTL is taken over) and its lag:
the messages (appended batches) of its input stream it has not yet fed, as its
owner last measured it (each TTL/4; "-" until then). An owner "n1 -> n2" is
moving the application to n2 (riffle apps move); "(placed)", another node gave
it the application and it has not taken it yet; "(starting)", it is starting it.
Requests are signed as riffle apps signs them (needed with --auth).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := getSigned(cmd.Context(), strings.TrimSuffix(server, "/")+"/riffle/v1/cluster", region)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var st api.ClusterStatus
			if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
				return fmt.Errorf("read the cluster's status: %w", err)
			}
			printCluster(cmd, st)
			return nil
		},
	}
	status.Flags().StringVar(&server, "server", "http://"+DefaultListen, "riffle serve's address (any node)")
	status.Flags().StringVar(&region, "region", "us-east-1", "the region requests are signed for")
	cmd.AddCommand(status)
	return cmd
}

func printCluster(cmd *cobra.Command, st api.ClusterStatus) {
	out := cmd.OutOrStdout()
	secs := func(s float64) string {
		return time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond).String()
	}
	fmt.Fprintf(out, "as node %s sees it (lease TTL %s)\n\n", st.Node, secs(st.LeaseTTLSeconds))
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NODE\tAPPLICATIONS\tLAST SEEN\tSTARTED")
	for _, n := range st.Nodes {
		fmt.Fprintf(w, "%s\t%d\t%s ago\t%s\n", n.Name, n.Applications, secs(n.LastSeenSeconds), n.Started.Format(time.RFC3339))
	}
	w.Flush()
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "APPLICATION\tSTATUS\tOWNER\tLEASE AGE\tLAG")
	for _, a := range st.Applications {
		owner, age, lag := a.Owner, secs(a.LeaseAgeSeconds), "-"
		switch {
		case owner == "":
			owner, age = "-", "-" // no lease: the next scan of a node takes it
		case a.MovingTo != "":
			owner += " -> " + a.MovingTo
		case a.State == "placed" || a.State == "starting":
			owner += " (" + a.State + ")"
		}
		if a.LagMessages != nil {
			lag = strconv.FormatInt(*a.LagMessages, 10)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.Name, a.Status, owner, age, lag)
	}
	w.Flush()
}
