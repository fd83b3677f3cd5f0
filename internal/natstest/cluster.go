package natstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/testproc"
)

// ClusterName is the name of the clusters StartCluster runs.
const ClusterName = "riffle-test"

// Cluster is a NATS cluster of nats-server processes with JetStream, each
// with its own store directory, routed to the others.
type Cluster struct {
	// URLs are the servers' client URLs; Names their server names (as
	// JetStream reports a stream's leader and replicas), in the same order.
	URLs, Names []string

	monitors []string
	stops    []func()
}

// StartCluster runs n servers as one cluster until the test ends and
// returns once JetStream has a meta leader that every server knows.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	bin := binary(t)
	c := testproc.Retry(t, attempts, "a nats cluster", func() (*Cluster, error) { return startCluster(t, bin, n) })
	// Nothing signals the election: ask until every server agrees.
	client := &http.Client{Timeout: 2 * time.Second}
	poll.Until(t, 60*time.Second, func() (bool, string) { return c.metaAgreed(client, n) })
	return c
}

// startCluster starts the n servers on ports free now; on an error the
// servers started are stopped.
func startCluster(t testing.TB, bin string, n int) (*Cluster, error) {
	t.Helper()
	c := &Cluster{}
	routes := make([]string, n)
	clientPorts, monitorPorts := make([]int, n), make([]int, n)
	clusterPorts := make([]int, n)
	for i := range n {
		for _, port := range []*int{&clientPorts[i], &clusterPorts[i], &monitorPorts[i]} {
			var err error
			if *port, err = testproc.FreePort(); err != nil {
				return nil, err
			}
		}
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", clusterPorts[i])
	}
	for i := range n {
		name := fmt.Sprintf("n%d", i+1)
		p, err := run(t, bin, []string{"-js", "-sd", t.TempDir(), "-n", name, "-a", "127.0.0.1",
			"-p", fmt.Sprint(clientPorts[i]), "-m", fmt.Sprint(monitorPorts[i]),
			"--cluster_name", ClusterName, "--cluster", routes[i], "--routes", strings.Join(routes, ",")})
		if err != nil {
			for _, stop := range c.stops {
				stop()
			}
			return nil, err
		}
		c.URLs = append(c.URLs, fmt.Sprintf("nats://127.0.0.1:%d", clientPorts[i]))
		c.Names = append(c.Names, name)
		c.monitors = append(c.monitors, fmt.Sprintf("http://127.0.0.1:%d", monitorPorts[i]))
		c.stops = append(c.stops, p.Kill)
	}
	return c, nil
}

// URL is the cluster's servers as one URL list (comma-separated), as
// `riffle serve --nats` and nats.Connect take it.
func (c *Cluster) URL() string { return strings.Join(c.URLs, ",") }

// JetStream is a JetStream client of the test's own on the cluster, as
// `nats stream info` would look at it; closed when the test ends.
func (c *Cluster) JetStream(t testing.TB) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// Stop kills server i (SIGKILL, as a crash would) and waits for it to exit.
func (c *Cluster) Stop(i int) { c.stops[i]() }

// Index is the position of the server named name in URLs and Names; -1 if
// there is none.
func (c *Cluster) Index(name string) int {
	for i, n := range c.Names {
		if n == name {
			return i
		}
	}
	return -1
}

// metaAgreed tells whether every server reports the same JetStream meta
// leader over a meta group of n servers (their monitoring /jsz), and the
// leader holds every other server current, so that streams of n replicas
// can be placed.
func (c *Cluster) metaAgreed(client *http.Client, n int) (bool, string) {
	leader := ""
	ledBy := false // the leader's view was seen
	for i, m := range c.monitors {
		resp, err := client.Get(m + "/jsz")
		if err != nil {
			return false, fmt.Sprintf("%s: %v", c.Names[i], err)
		}
		var jsz struct {
			Meta *struct {
				Leader      string `json:"leader"`
				ClusterSize int    `json:"cluster_size"`
				// Replicas is the leader's view of the other servers.
				Replicas []struct {
					Name             string
					Current, Offline bool
				} `json:"replicas"`
			} `json:"meta_cluster"`
		}
		err = json.NewDecoder(resp.Body).Decode(&jsz)
		resp.Body.Close()
		if err != nil {
			return false, fmt.Sprintf("%s: /jsz: %v", c.Names[i], err)
		}
		switch {
		case jsz.Meta == nil || jsz.Meta.Leader == "":
			return false, fmt.Sprintf("%s knows no meta leader", c.Names[i])
		case jsz.Meta.ClusterSize != n:
			return false, fmt.Sprintf("%s sees a meta group of %d", c.Names[i], jsz.Meta.ClusterSize)
		case leader != "" && jsz.Meta.Leader != leader:
			return false, fmt.Sprintf("the servers name different meta leaders (%s, %s)", leader, jsz.Meta.Leader)
		}
		leader = jsz.Meta.Leader
		// The leader places new streams only on peers it holds current:
		// until then, a replicated stream finds "no suitable peers".
		if jsz.Meta.Leader == c.Names[i] { // followers' views of each other lag
			ledBy = true
			if len(jsz.Meta.Replicas) != n-1 {
				return false, fmt.Sprintf("the meta leader sees %d other servers", len(jsz.Meta.Replicas))
			}
			for _, r := range jsz.Meta.Replicas {
				if !r.Current || r.Offline {
					return false, fmt.Sprintf("the meta leader does not hold %s current", r.Name)
				}
			}
		}
	}
	if !ledBy && n > 1 {
		return false, "no server gives the meta leader's view of its peers"
	}
	return true, ""
}
