package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/promscrape"
	"github.com/riffle-sql/riffle/internal/testproc"
	"github.com/riffle-sql/riffle/server/servertest"
)

// TestClusterStatusShowsEveryNodeAndTheOwners: two riffle serve nodes
// under --auth share one nats-server; an application started on n1.
// riffle cluster status, asked of either node, lists both nodes and n1 as
// the application's owner, with its lag once measured (0: it has read
// everything); n1's /metrics (on its --metrics-listen address: under
// --auth the main one asks for a signature) says it owns one application. riffle apps
// move, asked of n1, moves it to n2 and says so once it runs there;
// moves that cannot be are refused with the reason. A wrong secret is
// refused. A server without --nats has no cluster.
func TestClusterStatusShowsEveryNodeAndTheOwners(t *testing.T) {
	nats := natstest.Start(t)
	auth := keyFile(t)
	port, err := testproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	metrics := fmt.Sprintf("http://127.0.0.1:%d", port) // under --auth, unsigned /metrics is on its own address
	n1 := startServer(t, t.TempDir(), "--auth", auth, "--nats", nats, "--node", "n1", "--metrics-listen", strings.TrimPrefix(metrics, "http://"))
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
	if m := promscrape.Series(t, metrics); m["riffle_applications_owned"] != 1 || m["riffle_failovers_total"] != 0 {
		t.Fatalf("n1's metrics: %v applications owned, %v failovers", m["riffle_applications_owned"], m["riffle_failovers_total"])
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

// TestTailAndDescribeThroughAnyNode: an application runs on n1; through
// n2, riffle apps describe says it is RUNNING, riffle tail --follow=false
// prints the row of a record sent (to n2), and riffle tail prints it, then
// the row of a record sent after it began: n1 relays them.
func TestTailAndDescribeThroughAnyNode(t *testing.T) {
	nats := natstest.Start(t)
	auth := keyFile(t)
	port, err := testproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	metrics := fmt.Sprintf("http://127.0.0.1:%d", port) // under --auth, unsigned /metrics is on its own address
	n1 := startServer(t, t.TempDir(), "--auth", auth, "--nats", nats, "--node", "n1", "--metrics-listen", strings.TrimPrefix(metrics, "http://"))
	n2 := startServer(t, t.TempDir(), "--auth", auth, "--nats", nats, "--node", "n2")
	startActionApp(t, n1.url)
	out, _, err := runRiffle(t, "apps", "describe", "lab", "--server", n2.url)
	if err != nil || !strings.Contains(out, `"ApplicationStatus": "RUNNING"`) {
		t.Fatalf("riffle apps describe lab through n2: %v\n%s", err, out)
	}
	fh := servertest.NewClients(n2.url, "AKIDEXAMPLE", "secret").Firehose
	send := func(action string) {
		t.Helper()
		if _, err := fh.PutRecord(context.Background(), &firehose.PutRecordInput{DeliveryStreamName: aws.String("lab"),
			Record: &fhtypes.Record{Data: []byte(`{"browseraction":"` + action + `"}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	row := func(action string) *regexp.Regexp {
		return regexp.MustCompile(`^\{"ROWTIME":"[^"]+","A":"` + action + `"\}$`)
	}
	send("first")
	poll.Until(t, 30*time.Second, func() (bool, string) {
		out, _, err := runRiffle(t, "tail", "lab", "DESTINATION_SQL_STREAM", "--follow=false", "--server", n2.url)
		return err == nil && row("first").MatchString(strings.TrimSuffix(out, "\n")), fmt.Sprintf("riffle tail --follow=false through n2: %v\n%s", err, out)
	})

	ctx, cancel := context.WithCancel(context.Background())
	tail := newRootCommand()
	pr, pw := io.Pipe()
	tail.SetOut(pw)
	tail.SetErr(io.Discard)
	tail.SetArgs([]string{"tail", "lab", "DESTINATION_SQL_STREAM", "--server", n2.url})
	tailed := make(chan error, 1)
	go func() {
		err := tail.ExecuteContext(ctx)
		pw.Close()
		tailed <- err
	}()
	lines := make(chan string)
	go func() {
		defer close(lines)
		scan := bufio.NewScanner(pr)
		for scan.Scan() {
			lines <- scan.Text()
		}
	}()
	defer func() {
		cancel()
		for range lines { // until riffle tail has ended
		}
		<-tailed
	}()
	next := func() string {
		t.Helper()
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("riffle tail through n2 ended: %v", <-tailed)
			}
			return line
		case <-time.After(30 * time.Second): // a guard: the row is on its way
			t.Fatal("riffle tail through n2 printed nothing")
		}
		return ""
	}
	// The recent row first: the tap is open.
	if line := next(); !row("first").MatchString(line) {
		t.Fatalf("riffle tail through n2 began with %q", line)
	}
	send("second")
	if line := next(); !row("second").MatchString(line) {
		t.Fatalf("riffle tail through n2 printed %q, want the second row", line)
	}
}
