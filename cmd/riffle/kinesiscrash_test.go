package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/internal/kinesalite"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/runner"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestAKinesisInputOfAnotherServerSurvivesAKill runs the lab SQL in
// `riffle serve` on a 4-shard stream of kinesalite (named by its ARN,
// reached through --aws-endpoint) while the SDK puts records into it,
// SIGKILLs the server in the middle of a window, restarts it on the same
// data directory and goes on. The CTRSTREAM and CLICKSTREAM rows seen
// across the crash are those of an offline run over what the stream
// holds: none missing, none different, each window once.
func TestAKinesisInputOfAnotherServerSurvivesAKill(t *testing.T) {
	const scale = 20
	k := kinesalite.Start(t)
	k.CreateStream(t, "beacons", 4)
	for _, kv := range k.Env() { // the server's SDK finds its credentials here
		name, value, _ := strings.Cut(kv, "=")
		if name != "AWS_ENDPOINT_URL_KINESIS" { // --aws-endpoint says it instead
			t.Setenv(name, value)
		}
	}
	dir := t.TempDir()
	flags := []string{"--time-scale", fmt.Sprint(scale), "--checkpoint", "200ms", "--aws-endpoint", "kinesis=" + k.URL, "--kinesis-tolerance", "300ms"}
	srv := startServer(t, dir, flags...)
	sql, err := os.ReadFile("../../runner/testdata/bench/clickstream.sql")
	if err != nil {
		t.Fatal(err)
	}
	schema := record.Schema{
		RecordFormat: record.RecordFormat{RecordFormatType: record.JSON},
		RecordColumns: []record.RecordColumn{
			{Name: "browseraction", SqlType: "VARCHAR(16)", Mapping: "$.browseraction"},
			{Name: "site", SqlType: "VARCHAR(64)", Mapping: "$.site"},
		},
	}
	if _, err := call(srv.url, "KinesisAnalytics_20150814.CreateApplication", map[string]any{
		"ApplicationName": "lab", "ApplicationCode": string(sql),
		"Inputs": []any{map[string]any{
			"NamePrefix":          "SOURCE_SQL_STREAM",
			"KinesisStreamsInput": map[string]any{"ResourceARN": kinesalite.ARN("beacons"), "RoleARN": "arn:aws:iam::000000000000:role/lab"},
			"InputSchema":         schema,
		}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := call(srv.url, "KinesisAnalytics_20150814.StartApplication", map[string]any{
		"ApplicationName": "lab", "InputConfigurations": []any{map[string]any{"Id": "1.1", "InputStartingPositionConfiguration": map[string]any{"InputStartingPosition": "NOW"}}},
	}); err != nil {
		t.Fatal(err)
	}
	streams := []string{"CTRSTREAM", "CLICKSTREAM"}
	live := map[string]*rowSet{}
	for _, s := range streams {
		live[s] = &rowSet{rows: map[string]bool{}}
		live[s].follow(t, srv.url, "lab", s)
	}

	// The sender: every 25 ms a batch of 2, 3 or 4 events (clicks first)
	// with partition keys spread over the shards. The stream is not
	// riffle's: the kill does not stop it.
	ctx, stopSending := context.WithCancel(context.Background())
	defer stopSending()
	var sent atomic.Int64
	var sender sync.WaitGroup
	sender.Go(func() {
		for batch := 0; ctx.Err() == nil; batch++ {
			var entries []types.PutRecordsRequestEntry
			for i := range 2 + batch%3 {
				action := []string{"Click", "Impression"}[min(i, 1)]
				entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("visitor-%d-%d", batch, i)),
					Data: fmt.Appendf(nil, `{"browseraction":%q, "site": "yourwebsiteurl.domain.com"}`+"\n", action)})
			}
			if _, err := k.Client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("beacons"), Records: entries}); err == nil {
				sent.Add(int64(len(entries)))
			}
			select {
			case <-ctx.Done():
			case <-time.After(25 * time.Millisecond): // pacing the sender
			}
		}
	})
	waitRows := func(n int) {
		t.Helper()
		poll.Until(t, 60*time.Second, func() (bool, string) {
			rows := live["CTRSTREAM"].snapshot()
			return len(rows) >= n, fmt.Sprintf("only %d CTR rows (%d records sent): %v", len(rows), sent.Load(), rows)
		})
	}
	waitRows(3)
	// Kill in the middle of a window whose records are partly in a
	// checkpoint: the source rows must reach 6 s into the next window.
	source := &rowSet{rows: map[string]bool{}}
	source.follow(t, srv.url, "lab", "SOURCE_SQL_STREAM_001")
	latest := func() time.Time {
		var last time.Time
		for _, r := range source.snapshot() {
			var row struct{ ROWTIME time.Time }
			if json.Unmarshal([]byte(r), &row) == nil && row.ROWTIME.After(last) {
				last = row.ROWTIME
			}
		}
		return last
	}
	deadline := time.Now().Add(60 * time.Second)
	poll.Until(t, time.Until(deadline), func() (bool, string) { return !latest().IsZero(), "no source rows" })
	mid := latest().Truncate(10 * time.Second).Add(16 * time.Second)
	poll.Until(t, time.Until(deadline), func() (bool, string) {
		last := latest()
		return !last.Before(mid), fmt.Sprintf("source rows stopped at %s", last)
	})
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	before := len(live["CTRSTREAM"].snapshot())

	srv = startServer(t, dir, flags...)
	for _, s := range streams {
		live[s].follow(t, srv.url, "lab", s)
	}
	waitRows(before + 3)
	stopSending()
	sender.Wait()
	late := scrape(t, srv.url)[`riffle_input_late_records_total{application="lab"}`]
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	if late != 0 {
		t.Errorf("%v records came after the clock had passed them: the tolerance did not cover kinesalite on this machine", late)
	}

	// The run that did not crash: what the stream holds, offline, with the
	// arrival times the live application gave its records, merged as it
	// merges them (by arrival, then shard).
	l := streamlogtest.OpenConfig(t, streamlog.Config{Dir: dir})
	defs, err := l.Bucket(context.Background(), "riffle_applications")
	if err != nil {
		t.Fatal(err)
	}
	data, err := defs.Get(context.Background(), "lab")
	if err != nil {
		t.Fatal(err)
	}
	var def app.Application
	if err := json.Unmarshal(data, &def); err != nil {
		t.Fatal(err)
	}
	recs, err := k.ReadAll(context.Background(), "beacons")
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Arrival.Before(recs[j].Arrival) })
	for _, stream := range streams {
		var replay, out bytes.Buffer
		for _, r := range recs {
			at := def.AppTime(r.Arrival.UnixMilli(), scale)
			text, _ := json.Marshal(string(r.Data))
			fmt.Fprintf(&replay, `{"arrival":%q,"data":%s}`+"\n", time.UnixMilli(at).UTC().Format(time.RFC3339Nano), text)
		}
		if err := runner.Run(runner.Options{SQL: string(sql), Application: "lab", Schema: &schema, Streams: []string{stream}}, &replay, &out); err != nil {
			t.Fatal(err)
		}
		compareAcrossTheCrash(t, stream, strings.Split(strings.TrimSpace(out.String()), "\n"), live[stream].snapshot(), before)
	}
}
