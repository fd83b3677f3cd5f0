package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/internal/poll"
)

// TestClusterStatusShowsEveryNodeAndTheOwners: two riffle serve nodes
// under --auth share one nats-server; an application started on n1.
// riffle cluster status, asked of either node, lists both nodes and n1 as
// the application's owner, with its lag once measured (0: it has read
// everything); n1's /metrics says it owns one application. riffle apps
// move, asked of n1, moves it to n2 and says so once it runs there;
// moves that cannot be are refused with the reason. A wrong secret is
// refused. A server without --nats has no cluster.
func TestClusterStatusShowsEveryNodeAndTheOwners(t *testing.T) {
	nats := natstest.Start(t)
	auth := keyFile(t)
	n1 := startServer(t, t.TempDir(), "--auth", auth, "--nats", nats, "--node", "n1")
	n2 := startServer(t, t.TempDir(), "--auth", auth, "--nats", nats, "--node", "n2")
	startActionApp(t, n1.url)
	node := func(name string, apps int) *regexp.Regexp {
		return regexp.MustCompile(fmt.Sprintf(`(?m)^%s\s+%d\s+[0-9.]+m?s ago\s+20\d\d-`, name, apps))
	}
	owned := regexp.MustCompile(`(?m)^lab\s+RUNNING\s+n1\s+[0-9.]+m?s\s+0$`)
	for _, srv := range []*serverProcess{n1, n2} {
		// (n2 lists itself once it has written its presence: at its start.)
		poll.Until(t, 30*time.Second, func() (bool, string) {
			out, _, err := runRiffle(t, "cluster", "status", "--server", srv.url)
			return err == nil && node("n1", 1).MatchString(out) && node("n2", 0).MatchString(out) && owned.MatchString(out),
				fmt.Sprintf("riffle cluster status --server %s: %v\n%s", srv.url, err, out)
		})
	}
	resp, err := http.Get(n1.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`(?m)^riffle_applications_owned 1$`).Match(metrics) || !regexp.MustCompile(`(?m)^riffle_failovers_total 0$`).Match(metrics) {
		t.Fatalf("n1's metrics:\n%s", metrics)
	}

	out, _, err := runRiffle(t, "apps", "move", "lab", "--node", "n2", "--server", n1.url)
	if err != nil || out != "lab moved from n1 to n2\n" {
		t.Fatalf("riffle apps move lab --node n2: %q %v", out, err)
	}
	if out, _, err := runRiffle(t, "cluster", "status", "--server", n1.url); err != nil || !regexp.MustCompile(`(?m)^lab\s+RUNNING\s+n2\s+`).MatchString(out) {
		t.Fatalf("riffle cluster status after the move: %v\n%s", err, out)
	}
	for node, says := range map[string]string{
		"n9": `400 Bad Request: invalid argument: no live node is named "n9" (live nodes: n1, n2)`,
		"n2": "409 Conflict: application is in use: application lab already runs on node n2",
	} {
		_, _, err := runRiffle(t, "apps", "move", "lab", "--node", node, "--server", n1.url)
		if err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("riffle apps move lab --node %s: %v, want %q", node, err, says)
		}
	}

	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	if _, _, err := runRiffle(t, "cluster", "status", "--server", n2.url); err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Fatalf("riffle cluster status with a wrong secret: %v", err)
	}

	single := startServer(t, t.TempDir())
	if _, _, err := runRiffle(t, "cluster", "status", "--server", single.url); err == nil || !strings.Contains(err.Error(), "not a node of a cluster") {
		t.Fatalf("riffle cluster status of a server without --nats: %v", err)
	}
	if _, _, err := runRiffle(t, "apps", "move", "lab", "--node", "n2", "--server", single.url); err == nil || !strings.Contains(err.Error(), "404 Not Found: this server is not a node of a cluster") {
		t.Fatalf("riffle apps move on a server without --nats: %v", err)
	}
}
