package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTheLabWithTheAWSCLI drives the lab's steps with the real AWS CLI:
// a delivery stream, the discovery payload, schema discovery, the
// application (created, started), live traffic, its CTR rows read with
// riffle tail, then stop and delete. Application time runs 20 times faster.
func TestTheLabWithTheAWSCLI(t *testing.T) {
	srv := startServer(t, t.TempDir(), "--time-scale", "20", "--checkpoint", "200ms")
	aws := newAWSCLI(t, srv.url)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return "file://" + p
	}
	const fh = "arn:aws:firehose:us-east-1:000000000000:deliverystream/lab"
	aws.run("firehose", "create-delivery-stream", "--delivery-stream-name", "lab")
	aws.run("firehose", "put-record", "--delivery-stream-name", "lab",
		"--record", write("discovery.json", `{"Data":"{\"browseraction\":\"DiscoveryKinesisTest\", \"site\": \"yourwebsiteurl.domain.com\"}\n"}`))
	found := aws.run("kinesisanalytics", "discover-input-schema", "--resource-arn", fh, "--role-arn", "arn:aws:iam::000000000000:role/lab",
		"--input-starting-position-configuration", "InputStartingPosition=NOW")
	schema := found["InputSchema"].(map[string]any)
	cols := schema["RecordColumns"].([]any)
	if len(cols) != 2 {
		t.Fatalf("discovered %v", schema)
	}
	for i, want := range []string{"browseraction", "site"} {
		c := cols[i].(map[string]any)
		if c["Name"] != want || c["Mapping"] != "$."+want || !strings.HasPrefix(c["SqlType"].(string), "VARCHAR(") {
			t.Fatalf("column %d: %v", i, c)
		}
	}
	sql, err := os.ReadFile("../../runner/testdata/bench/clickstream.sql")
	if err != nil {
		t.Fatal(err)
	}
	schemaJSON, _ := jsonText(schema)
	inputs := write("inputs.json", `[{"NamePrefix":"SOURCE_SQL_STREAM","KinesisFirehoseInput":{"ResourceARN":"`+fh+`","RoleARN":"arn:aws:iam::000000000000:role/lab"},"InputParallelism":{"Count":1},"InputSchema":`+schemaJSON+`}]`)
	created := aws.run("kinesisanalytics", "create-application", "--application-name", "lab", "--application-code", write("app.sql", string(sql)), "--inputs", inputs)
	if created["ApplicationSummary"].(map[string]any)["ApplicationStatus"] != "READY" {
		t.Fatalf("create-application: %v", created)
	}
	aws.run("kinesisanalytics", "start-application", "--application-name", "lab",
		"--input-configurations", "Id=1.1,InputStartingPositionConfiguration={InputStartingPosition=NOW}")
	desc := aws.run("kinesisanalytics", "describe-application", "--application-name", "lab")["ApplicationDetail"].(map[string]any)
	if desc["ApplicationStatus"] != "RUNNING" {
		t.Fatalf("after start: %v", desc["ApplicationStatus"])
	}

	// Traffic: an impression and a click each application second (50 ms).
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			var recs []string
			for _, action := range []string{"Impression", "Click"} {
				payload := fmt.Sprintf(`{"browseraction":%q, "site": "yourwebsiteurl.domain.com"}`+"\n", action)
				recs = append(recs, `{"Data":"`+base64.StdEncoding.EncodeToString([]byte(payload))+`"}`)
			}
			call(srv.url, "Firehose_20150804.PutRecordBatch", map[string]any{"DeliveryStreamName": "lab", "Records": []any{raw(recs[0]), raw(recs[1])}})
		}
	}()
	// CTR rows come out as windows close: wait for three, 100 each.
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _, err := runRiffle(t, "tail", "lab", "CTRSTREAM", "--server", srv.url, "--follow=false")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) >= 3 && lines[0] != "" {
			for _, l := range lines[1:] { // the first window may have started mid-way
				if !strings.Contains(l, `"CTR":100}`) {
					t.Fatalf("CTR row %s, want 100", l)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CTR rows so far: %q", out)
		}
		time.Sleep(100 * time.Millisecond) // polling a condition, bounded by the deadline
	}
	aws.run("kinesisanalytics", "stop-application", "--application-name", "lab")
	desc = aws.run("kinesisanalytics", "describe-application", "--application-name", "lab")["ApplicationDetail"].(map[string]any)
	aws.run("kinesisanalytics", "delete-application", "--application-name", "lab", "--create-timestamp", strconv.FormatFloat(desc["CreateTimestamp"].(float64), 'f', -1, 64))
	list := aws.run("kinesisanalytics", "list-applications")
	if len(list["ApplicationSummaries"].([]any)) != 0 {
		t.Fatalf("after delete: %v", list)
	}
}

type raw string

func (r raw) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
