package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsCLI runs the real AWS CLI against the server and decodes its JSON.
type awsCLI struct {
	t       *testing.T
	url     string
	env     []string
	rawBlob []string // how this CLI version takes raw (not base64) blobs
}

func newAWSCLI(t *testing.T, url string) *awsCLI {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the AWS CLI is not installed: run scripts/test, which installs it")
	}
	home := t.TempDir()
	a := &awsCLI{t: t, url: url, env: append(os.Environ(),
		"HOME="+home, "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_CONFIG_FILE="+filepath.Join(home, "none"))}
	version, _ := exec.Command("aws", "--version").CombinedOutput()
	if strings.HasPrefix(string(version), "aws-cli/2") {
		a.rawBlob = []string{"--cli-binary-format", "raw-in-base64-out"}
	}
	return a
}

func (a *awsCLI) run(args ...string) map[string]any {
	a.t.Helper()
	out, err := a.try(args...)
	if err != nil {
		a.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var v map[string]any
	if len(strings.TrimSpace(out)) > 0 {
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			a.t.Fatalf("aws %s printed %q", strings.Join(args, " "), out)
		}
	}
	return v
}

func TestTheAWSCLIAgainstRiffleServe(t *testing.T) {
	srv := startServer(t, t.TempDir())
	aws := newAWSCLI(t, srv.url)
	dir := t.TempDir()

	// Firehose, with the lab's payloads.
	aws.run("firehose", "create-delivery-stream", "--delivery-stream-name", "clickstream")
	records := filepath.Join(dir, "records.json")
	os.WriteFile(records, []byte(`[{"Data":"{\"browseraction\":\"Click\", \"site\": \"yourwebsiteurl.domain.com\"}\n"},
{"Data":"{\"browseraction\":\"Impression\", \"site\": \"yourwebsiteurl.domain.com\"}\n"}]`), 0o644)
	put := aws.run("firehose", "put-record-batch", "--delivery-stream-name", "clickstream", "--records", "file://"+records)
	if put["FailedPutCount"].(float64) != 0 || len(put["RequestResponses"].([]any)) != 2 {
		t.Fatalf("put-record-batch: %v", put)
	}
	list := aws.run("firehose", "list-delivery-streams")
	if fmt.Sprint(list["DeliveryStreamNames"]) != "[clickstream]" {
		t.Fatalf("list-delivery-streams: %v", list)
	}
	desc := aws.run("firehose", "describe-delivery-stream", "--delivery-stream-name", "clickstream")
	if desc["DeliveryStreamDescription"].(map[string]any)["DeliveryStreamStatus"] != "ACTIVE" {
		t.Fatalf("describe-delivery-stream: %v", desc)
	}

	// Kinesis: two shards, records back in order per shard.
	aws.run("kinesis", "create-stream", "--stream-name", "clicks", "--shard-count", "2")
	var entries []string
	for i := range 20 {
		entries = append(entries, fmt.Sprintf(`{"Data":"record %02d","PartitionKey":"user-%d"}`, i, i%5))
	}
	batch := filepath.Join(dir, "kinesis.json")
	os.WriteFile(batch, []byte("["+strings.Join(entries, ",")+"]"), 0o644)
	res := aws.run("kinesis", "put-records", "--stream-name", "clicks", "--records", "file://"+batch)
	if res["FailedRecordCount"].(float64) != 0 {
		t.Fatalf("put-records: %v", res)
	}
	want := map[string][]string{}
	for i, r := range res["Records"].([]any) {
		shard := r.(map[string]any)["ShardId"].(string)
		want[shard] = append(want[shard], fmt.Sprintf("record %02d", i))
	}
	for shard, records := range want {
		it := aws.run("kinesis", "get-shard-iterator", "--stream-name", "clicks", "--shard-id", shard, "--shard-iterator-type", "TRIM_HORIZON")
		got := aws.run("kinesis", "get-records", "--shard-iterator", it["ShardIterator"].(string))
		var data []string
		for _, r := range got["Records"].([]any) {
			b, _ := base64.StdEncoding.DecodeString(r.(map[string]any)["Data"].(string))
			data = append(data, string(b))
		}
		if fmt.Sprint(data) != fmt.Sprint(records) {
			t.Fatalf("%s: get-records %v, want %v", shard, data, records)
		}
	}
	if len(want) != 2 {
		t.Fatalf("the records used %d shards, want both", len(want))
	}
	// The same port serves Prometheus metrics.
	resp, err := http.Get(srv.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{`riffle_ingest_records_total{api="firehose"} 2`, `riffle_ingest_records_total{api="kinesis"} 20`} {
		if !strings.Contains(string(metrics), line) {
			t.Fatalf("/metrics lacks %s", line)
		}
	}
}

// try runs the CLI and returns what it printed.
func (a *awsCLI) try(args ...string) (string, error) {
	args = append(append(args, "--endpoint-url", a.url, "--output", "json"), a.rawBlob...)
	cmd := exec.Command("aws", args...)
	cmd.Env = a.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestTheAWSCLIWithSignatureChecking(t *testing.T) {
	auth := filepath.Join(t.TempDir(), "auth.json")
	os.WriteFile(auth, []byte(`{"AKIDEXAMPLE": "secret"}`), 0o600)
	srv := startServer(t, t.TempDir(), "--auth", auth)
	aws := newAWSCLI(t, srv.url) // signs with AKIDEXAMPLE / secret
	aws.run("firehose", "create-delivery-stream", "--delivery-stream-name", "signed")
	aws.env = append(aws.env, "AWS_SECRET_ACCESS_KEY=wrong")
	out, err := aws.try("firehose", "create-delivery-stream", "--delivery-stream-name", "forged")
	if err == nil || !strings.Contains(out, "InvalidSignatureException") {
		t.Fatalf("a wrong secret: %v\n%s", err, out)
	}
}
