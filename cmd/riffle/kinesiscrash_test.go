package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/riffle-sql/riffle/internal/kinesalite"
	"github.com/riffle-sql/riffle/internal/promscrape"
	"github.com/riffle-sql/riffle/runner"
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
	setAWSEnv(t, k.Env(), "AWS_ENDPOINT_URL_KINESIS")
	dir := t.TempDir()
	flags := []string{"--time-scale", fmt.Sprint(scale), "--checkpoint", "200ms", "--aws-endpoint", "kinesis=" + k.URL, "--kinesis-tolerance", "300ms"}
	srv := startServer(t, dir, flags...)
	sql, schema, live := startLab(t, srv.url, "KinesisStreamsInput", kinesalite.ARN("beacons"), nil)

	// The sender: partition keys spread over the shards. The stream is not
	// riffle's: the kill does not stop it.
	ctx, stopSending := context.WithCancel(context.Background())
	defer stopSending()
	var sender sync.WaitGroup
	sender.Go(func() {
		sendLabTraffic(ctx, func(ctx context.Context, batch int, events [][]byte) {
			var entries []types.PutRecordsRequestEntry
			for i, e := range events {
				entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("visitor-%d-%d", batch, i)), Data: e})
			}
			k.Client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("beacons"), Records: entries})
		})
	})
	live["CTRSTREAM"].waitFor(t, 3)
	waitMidWindow(t, srv.url)
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	before := len(live["CTRSTREAM"].snapshot())

	srv = startServer(t, dir, flags...)
	for _, s := range labStreams {
		live[s].follow(t, srv.url, "lab", s)
	}
	live["CTRSTREAM"].waitFor(t, before+3)
	stopSending()
	sender.Wait()
	late := promscrape.Series(t, srv.url)[`riffle_input_late_records_total{application="lab"}`]
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	if late != 0 {
		t.Errorf("%v records came after the clock had passed them: the tolerance did not cover kinesalite on this machine", late)
	}

	// The run that did not crash: what the stream holds, offline, with the
	// arrival times the live application gave its records, merged as it
	// merges them (by arrival, then shard).
	_, def := storedApplication(t, dir, "lab")
	recs, err := k.ReadAll(context.Background(), "beacons")
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Arrival.Before(recs[j].Arrival) })
	for _, stream := range labStreams {
		var replay, out bytes.Buffer
		for _, r := range recs {
			at := def.AppTime(r.Arrival.UnixMilli(), scale)
			text, _ := json.Marshal(string(r.Data))
			fmt.Fprintf(&replay, `{"arrival":%q,"data":%s}`+"\n", time.UnixMilli(at).UTC().Format(time.RFC3339Nano), text)
		}
		if err := runner.Run(runner.Options{SQL: sql, Application: "lab", Schema: &schema, Streams: []string{stream}}, &replay, &out); err != nil {
			t.Fatal(err)
		}
		compareAcrossTheCrash(t, stream, strings.Split(strings.TrimSpace(out.String()), "\n"), live[stream].snapshot(), before)
	}
}
