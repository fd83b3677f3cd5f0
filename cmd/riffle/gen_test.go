package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/riffle-sql/riffle/server/servertest"
)

// TestGenDeliversWhatItReportsAcknowledged: riffle gen against riffle serve
// (a data stream made and read back with the SDK's client) reports its records
// acknowledged, and the server holds exactly those, each once.
func TestGenDeliversWhatItReportsAcknowledged(t *testing.T) {
	srv := startServer(t, t.TempDir())
	ctx := context.Background()
	kc := servertest.NewClients(srv.url, "AKIDEXAMPLE", "secret").Kinesis
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("events"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	out, _, err := runRiffle(t, "gen", "--template", `{"id": "{{random.uuid}}", "n": {{random.number(100)}}}`, "--name", "events",
		"--rate", "0", "--count", "3000", "--stream", "events", "--endpoint-url", srv.url)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "3000 records sent by 1 senders: 3000 acknowledged, 0 not sent") {
		t.Fatalf("gen printed %q", out)
	}
	ids := map[string]int{}
	for _, shard := range []string{"shardId-000000000000", "shardId-000000000001"} {
		it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("events"), ShardId: aws.String(shard), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		got, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(10000)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got.Records {
			data := r.Data
			var rec struct{ ID string }
			if err := json.Unmarshal(data, &rec); err != nil || !strings.HasSuffix(string(data), "\n") {
				t.Fatalf("record %q: %v", data, err)
			}
			ids[rec.ID]++
		}
	}
	total := 0
	for id, n := range ids {
		total += n
		if n != 1 {
			t.Errorf("record %s stored %d times", id, n)
		}
	}
	if total != 3000 {
		t.Errorf("the server holds %d records; gen reported 3000 acknowledged", total)
	}
}

// TestGenWritesTheLabAsAReplayAndRefusesBadTemplates: the lab scenario on
// its own clock goes to a replay file that riffle run reads; a template
// with an unknown helper is refused with its position before anything is
// sent.
func TestGenWritesTheLabAsAReplayAndRefusesBadTemplates(t *testing.T) {
	replay := filepath.Join(t.TempDir(), "lab.jsonl")
	if _, _, err := runRiffle(t, "gen", "--scenario", "lab", "--replay", replay, "--start", "2026-11-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	sql := filepath.Join(t.TempDir(), "anomaly_detection.sql")
	labSQL, err := os.ReadFile("../../demo/lab.sql")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(sql, labSQL, 0o644)
	out, _, err := runRiffle(t, "run", sql, "--replay", replay)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, `"CTRPERCENT":400`); n != 6 {
		t.Errorf("%d anomalies of CTR 400, want the six burst windows:\n%s", n, out)
	}
	_, _, err = runRiffle(t, "gen", "--template", "{\n \"a\": {{random.nmber}}}", "--name", "bad", "--stdout", "--count", "1")
	if err == nil || !strings.Contains(err.Error(), "bad:2:") || !strings.Contains(err.Error(), "random.nmber") {
		t.Errorf("a bad template: %v", err)
	}
}
