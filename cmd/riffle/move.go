package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/api"
)

func newMoveCommand(c *managementClient) *cobra.Command {
	var node string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "move APP --node NAME [--wait 1m]",
		Short: "Move a running application to another node of the cluster (riffle serve --nats)",
		Long: `Hands a RUNNING application over to another live node (riffle cluster status lists
them): its owner stops it with a drain and a last checkpoint and gives its lease to
that node, which resumes it from the checkpoint, so no row is lost and none is
delivered twice. Any node may be asked (--server). The command waits until the
application runs on the node (at most --wait; --wait 0 returns once the move is
asked) and fails if it does not within --wait (the move goes on).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			wait = min(max(wait, 0), 5*time.Minute) // (as the server bounds it)
			body, _ := json.Marshal(api.MoveRequest{Node: node, WaitSeconds: new(wait.Seconds())})
			u := strings.TrimSuffix(c.server, "/") + "/riffle/v1/applications/" + url.PathEscape(args[0]) + "/move"
			// The server waits for the application; the request, a moment more.
			ctx, cancel := context.WithTimeout(cmd.Context(), wait+30*time.Second)
			defer cancel()
			resp, err := postSigned(ctx, u, c.region, body)
			if err != nil {
				return fmt.Errorf("move %s: %w", args[0], err)
			}
			defer resp.Body.Close()
			var moved api.MoveResult
			if err := json.NewDecoder(resp.Body).Decode(&moved); err != nil {
				return fmt.Errorf("read the answer: %w", err)
			}
			switch {
			case moved.Moved:
				fmt.Fprintf(cmd.OutOrStdout(), "%s moved from %s to %s\n", moved.Application, moved.From, moved.To)
			case wait == 0:
				fmt.Fprintf(cmd.OutOrStdout(), "%s: the move from %s to %s is asked\n", moved.Application, moved.From, moved.To)
			default:
				return fmt.Errorf("%s does not run on %s yet after %s: the move from %s is asked and goes on (riffle cluster status shows where it runs)", moved.Application, moved.To, wait, moved.From)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&node, "node", "", "the node to move the application to")
	cmd.Flags().DurationVar(&wait, "wait", time.Minute, "how long to wait for the application to run on the node (at most 5m)")
	cmd.MarkFlagRequired("node")
	return cmd
}

// postSigned POSTs JSON to one of riffle serve's own endpoints, signed;
// an answer other than 200 is an error with the server's reason.
func postSigned(ctx context.Context, u, region string, body []byte) (*http.Response, error) {
	return doSigned(ctx, http.MethodPost, u, region, body)
}
