package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/promscrape"
)

// labApps is how many lab applications the cluster's acceptance test
// runs: RIFFLE_CLUSTER_APPS, by default 30 (the number).
func labApps(t *testing.T) int {
	t.Helper()
	s := os.Getenv("RIFFLE_CLUSTER_APPS")
	if s == "" {
		return 30
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 3 {
		t.Fatalf("RIFFLE_CLUSTER_APPS=%q: want a number of applications, 3 or more", s)
	}
	return n
}

// TestClusterOfThreeNodesRunsEachApplicationOnceThroughLosses is issue
// 15's acceptance on real processes: 3 NATS servers as one cluster, 3
// riffle serve nodes, lab applications created and started through
// different nodes, live traffic sent through every node. In turn: each
// application runs on one node; a node stopped with SIGTERM hands its
// applications over with every row delivered once; the applications of
// the node SIGKILLed resume on the others; the NATS server leading the
// records' stream is killed under load. Through it all, nothing
// acknowledged is lost, and each application's Lambda-compatible and
// file outputs hold exactly the CTR windows of an offline run over the
// stored records that was never interrupted. Each step is a subtest
// named for the property it checks; a step that fails ends the test.
func TestClusterOfThreeNodesRunsEachApplicationOnceThroughLosses(t *testing.T) {
	n := labApps(t)
	c := startLabCluster(t, labOptions{Nodes: 3, Scale: 20, Checkpoint: time.Second})
	c.createApps(t, n)
	sender := c.startSending(t)
	start := time.Now()
	c.waitWindowsPast(t, c.apps, start, "", 2*time.Minute)
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		began := time.Now()
		if !t.Run(name, f) {
			t.FailNow()
		}
		t.Logf("%s: %.1fs", name, time.Since(began).Seconds())
	}

	step("each application runs on exactly one node", func(t *testing.T) {
		owners := c.waitOwned(t, time.Minute)
		perNode := map[string]int{}
		for _, a := range c.apps {
			perNode[owners[a]]++
		}
		for _, node := range c.nodes {
			if perNode[node.name] == 0 {
				t.Errorf("node %s runs no application (each was started through a node): %v", node.name, owners)
			}
		}
		all := c.fn.deliveries()
		for _, d := range all {
			if d.node != owners[d.app] {
				t.Fatalf("%s, run by %s (riffle cluster status), delivered row %s through %s", d.app, owners[d.app], d.data, d.node)
			}
		}
		for _, p := range recordIDProblems(all, true, true) {
			t.Error(p)
		}
		t.Logf("%d rows delivered, applications per node: %v", len(all), perNode)
	})

	var termed int
	step("SIGTERM: a node's applications move with no row lost and none delivered twice", func(t *testing.T) {
		var theirs []string
		termed, theirs = c.mostApps(c.waitOwned(t, time.Minute))
		name := c.nodes[termed].name
		at := time.Now()
		if err := c.stopNode(termed, syscall.SIGTERM); err != nil {
			t.Errorf("node %s did not exit cleanly on SIGTERM: %v", name, err)
		}
		t.Logf("node %s stopped %.1fs after SIGTERM", name, time.Since(at).Seconds())
		c.waitOwned(t, time.Minute)
		c.waitWindowsPast(t, theirs, at, name, 2*time.Minute)
		for _, p := range recordIDProblems(c.fn.deliveries(), true, false) {
			t.Error(p)
		}
		for _, a := range c.apps {
			seen := map[string]bool{}
			for _, row := range c.fileRows(t, a) {
				if seen[row] {
					t.Errorf("%s: file output: row %s written twice", a, row)
				}
				seen[row] = true
			}
		}
		windows, _ := c.checkWindows(t, theirs, c.stored(t), false)
		t.Logf("%d applications moved from %s; %d of their windows so far as offline", len(theirs), name, windows)
	})
	// Back, under its name, with none of its applications (they run
	// elsewhere now).
	c.startNode(t, termed)

	var killed int
	step("SIGKILL: every application of the node that runs the most resumes on the others", func(t *testing.T) {
		var theirs []string
		killed, theirs = c.mostApps(c.waitOwned(t, time.Minute))
		name := c.nodes[killed].name
		at := time.Now()
		c.stopNode(killed, syscall.SIGKILL)
		owners := c.waitOwned(t, 2*time.Minute)
		c.waitWindowsPast(t, theirs, at, name, 2*time.Minute)
		all := c.fn.deliveries()
		var first time.Time
		mine := map[string]bool{}
		for _, a := range theirs {
			mine[a] = true
		}
		for _, d := range all {
			if mine[d.app] && d.node != name && d.at.After(at) && (first.IsZero() || d.at.Before(first)) {
				first = d.at
			}
		}
		for _, p := range recordIDProblems(all, false, false) {
			t.Error(p)
		}
		c.checkWindows(t, theirs, c.stored(t), false)
		failovers := 0.0
		for _, n := range c.nodes {
			if srv := n.serving(); srv != nil {
				failovers += promscrape.Series(t, srv.url)["riffle_failovers_total"]
			}
		}
		if failovers < float64(len(theirs)) {
			t.Errorf("the nodes count %v failovers (riffle_failovers_total) for %d applications taken over", failovers, len(theirs))
		}
		moved := map[string]int{}
		for _, a := range theirs {
			moved[owners[a]]++
		}
		t.Logf("%d applications of %s resumed (%v); the first resumed row came %.1fs after the kill (lease TTL %s)", len(theirs), name, moved, first.Sub(at).Seconds(), leaseTTL(c))
	})

	c.startNode(t, killed)

	step("SIGSTOP: a paused owner writes no checkpoint and delivers no row after the takeover", func(t *testing.T) {
		paused, theirs := c.mostApps(c.waitOwned(t, time.Minute))
		name := c.nodes[paused].name
		mine := map[string]bool{}
		for _, a := range theirs {
			mine[a] = true
		}
		// Every checkpoint head written from here on, with the node that
		// wrote it.
		ctx, stopWatching := context.WithCancel(context.Background())
		defer stopWatching()
		heads, err := c.js.KeyValue(ctx, "riffle_checkpoint_heads")
		if err != nil {
			t.Fatal(err)
		}
		watch, err := heads.WatchAll(ctx, jetstream.UpdatesOnly())
		if err != nil {
			t.Fatal(err)
		}
		type written struct {
			app, node string
			at        time.Time
		}
		var mu sync.Mutex
		var writes []written
		go func() {
			for e := range watch.Updates() {
				if e == nil || e.Operation() != jetstream.KeyValuePut {
					continue
				}
				var head struct{ Node string }
				json.Unmarshal(e.Value(), &head)
				mu.Lock()
				writes = append(writes, written{e.Key(), head.Node, time.Now()})
				mu.Unlock()
			}
		}()
		c.pause(paused)
		// Paused past its lease: the others take its applications over.
		poll.Until(t, 2*time.Minute, func() (bool, string) {
			owners, err := c.owners(t)
			if err != nil {
				return false, err.Error()
			}
			var still []string
			for _, a := range theirs {
				if owners[a] == name || owners[a] == "-" || owners[a] == "" {
					still = append(still, a)
				}
			}
			return len(still) == 0, fmt.Sprintf("%v still shown on %s or on none", still, name)
		})
		// Each new owner has written a checkpoint: it resumed.
		poll.Until(t, time.Minute, func() (bool, string) {
			mu.Lock()
			defer mu.Unlock()
			resumed := map[string]bool{}
			for _, w := range writes {
				if mine[w.app] && w.node != name {
					resumed[w.app] = true
				}
			}
			return len(resumed) == len(theirs), fmt.Sprintf("%d of %d applications checkpointed by their new owners", len(resumed), len(theirs))
		})
		woke := time.Now()
		c.resume(paused)
		// Long enough for the woken node to try everything it had in
		// hand: windows close on the new owners past its waking.
		c.waitWindowsPast(t, theirs, woke, name, 2*time.Minute)
		for _, d := range c.fn.deliveries() {
			if mine[d.app] && d.node == name && d.at.After(woke) {
				t.Errorf("%s delivered %s's row %s after it woke, its lease taken over", name, d.app, d.data)
			}
		}
		mu.Lock()
		for _, w := range writes {
			if mine[w.app] && w.node == name {
				t.Errorf("%s wrote a checkpoint of %s after its applications were taken over", name, w.app)
			}
		}
		mu.Unlock()
		for _, p := range recordIDProblems(c.fn.deliveries(), false, false) {
			t.Error(p)
		}
		t.Logf("%d applications of %s taken over while it was paused; after it woke it delivered no row and wrote no checkpoint", len(theirs), name)
	})

	step("a NATS server lost under load: ingest and applications go on, nothing acknowledged is lost", func(t *testing.T) {
		info, err := c.js.Stream(context.Background(), "rf_lab")
		if err != nil {
			t.Fatal(err)
		}
		leader := info.CachedInfo().Cluster.Leader
		i := c.nats.Index(leader)
		if i < 0 {
			t.Fatalf("the stream's leader %q is none of the cluster's servers %v", leader, c.nats.Names)
		}
		before, _ := sender.counts()
		at := time.Now()
		c.nats.Stop(i)
		poll.Until(t, 2*time.Minute, func() (bool, string) {
			acked, refused := sender.counts()
			return acked >= before+500, fmt.Sprintf("%d records acknowledged since NATS server %s was killed (%d batches refused)", acked-before, leader, refused)
		})
		c.waitWindowsPast(t, c.apps, at, "", 2*time.Minute)
		sender.stopSending()
		stored := storedIDs(c.stored(t))
		var lost []string
		acked := sender.ackedIDs()
		for _, id := range acked {
			if stored[id] == 0 {
				lost = append(lost, id)
			}
		}
		if len(lost) > 0 {
			t.Errorf("%d of %d acknowledged records are not in the stream: %v", len(lost), len(acked), lost[:min(len(lost), 20)])
		}
		_, refused := sender.counts()
		t.Logf("NATS server %s (the stream's leader) killed; %d records acknowledged in all, %d stored, %d batches refused", leader, len(acked), len(stored), refused)
	})

	step("every output holds the CTR windows of the uninterrupted run", func(t *testing.T) {
		stored := c.stored(t)
		clicks, impressions := 0, 0
		late := 0
		for _, r := range stored {
			if r.click {
				clicks++
			} else {
				impressions++
			}
			if r.stored.Sub(r.arrival) > lateStore {
				late++
			}
		}
		// With the traffic stopped, each application closes its last
		// windows: its outputs end up counting every stored record.
		poll.Until(t, time.Minute, func() (bool, string) {
			all := c.fn.deliveries()
			var short []string
			for _, a := range c.apps {
				for kind, got := range map[string][]string{"function": rows(all, a), "file": c.fileRows(t, a)} {
					cl, im, err := counted(got)
					if err != nil {
						t.Fatal(err)
					}
					if cl < clicks || im < impressions {
						short = append(short, fmt.Sprintf("%s's %s output: %d clicks, %d impressions", a, kind, cl, im))
					}
				}
			}
			return len(short) == 0, fmt.Sprintf("the stream holds %d clicks and %d impressions; %s", clicks, impressions, strings.Join(short, "; "))
		})
		all := c.fn.deliveries()
		for _, p := range recordIDProblems(all, false, false) {
			t.Error(p)
		}
		windows, skipped := c.checkWindows(t, c.apps, stored, true)
		for _, a := range c.apps {
			for kind, got := range map[string][]string{"function": rows(all, a), "file": c.fileRows(t, a)} {
				if cl, im, _ := counted(got); cl != clicks || im != impressions {
					t.Errorf("%s, %s output: %d clicks and %d impressions counted, the stream holds %d and %d", a, kind, cl, im, clicks, impressions)
				}
			}
		}
		c.waitOwned(t, time.Minute) // and each still runs
		t.Logf("%d windows compared, %d left out around %d records stored more than %s after their arrival (compared through the totals: %d clicks, %d impressions); %d rows delivered to the function (repeats included)",
			windows, skipped, late, lateStore, clicks, impressions, len(all))
	})
}

// leaseTTL is the nodes' lease TTL, as they were started.
func leaseTTL(c *labCluster) string {
	if c.opts.LeaseTTL > 0 {
		return c.opts.LeaseTTL.String()
	}
	return app.DefaultLeaseTTL.String() + " (the default)"
}
