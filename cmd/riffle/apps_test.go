package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestTheLabWithTheAWSCLI drives the lab's steps with the real AWS CLI:
// a delivery stream, the discovery payload, schema discovery, the
// application (created, started), live traffic, its CTR rows read with
// riffle tail, the burst's anomaly in DESTINATION_SQL_STREAM, then stop and
// delete. Application time runs 20 times faster.
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

	// The lab's traffic: an impression and a click each application second
	// (50 ms); during a burst, three more clicks each second for 20 seconds.
	stop := make(chan struct{})
	defer close(stop)
	var burst atomic.Int32 // application seconds of burst left
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond): // pacing the sender
			}
			actions := []string{"Impression", "Click"}
			if burst.Load() > 0 {
				actions = append(actions, "Click", "Click", "Click")
				burst.Add(-1)
			}
			var recs []any
			for _, action := range actions {
				payload := fmt.Sprintf(`{"browseraction":%q, "site": "yourwebsiteurl.domain.com"}`+"\n", action)
				recs = append(recs, raw(`{"Data":"`+base64.StdEncoding.EncodeToString([]byte(payload))+`"}`))
			}
			call(srv.url, "Firehose_20150804.PutRecordBatch", map[string]any{"DeliveryStreamName": "lab", "Records": recs})
		}
	}()
	// tail returns a stream's rows once there are at least n of them.
	tail := func(stream string, n int) []string {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			out, _, err := runRiffle(t, "tail", "lab", stream, "--server", srv.url, "--follow=false")
			if err != nil {
				t.Fatal(err)
			}
			if lines := strings.Fields(out); len(lines) >= n {
				return lines
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s rows so far: %q", stream, out)
			}
			time.Sleep(100 * time.Millisecond) // polling a condition, bounded by the deadline
		}
	}
	// The forest scores 0 for its first 12 rows (subSampleSize): let it warm up.
	for _, l := range tail("CTRSTREAM", 14)[1:] { // the first window may have started mid-way
		if !strings.Contains(l, `"CTR":100}`) {
			t.Fatalf("steady CTR row %s, want 100", l)
		}
	}
	burst.Store(20)
	anomalies := tail("DESTINATION_SQL_STREAM", 1)
	for _, l := range anomalies {
		var row struct{ CTRPERCENT, ANOMALY_SCORE float64 }
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatal(err)
		}
		if row.CTRPERCENT < 200 || row.ANOMALY_SCORE <= 2 {
			t.Fatalf("anomaly %s: want the burst's CTR (about 400) scoring above 2", l)
		}
	}
	t.Logf("anomalies: %v", anomalies)
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

// TestAppsCommands manages an application with riffle apps: create (the
// schema discovered from the stream), list, start, a refused update with
// the SQL error's position, describe, stop and delete.
func TestAppsCommands(t *testing.T) {
	srv := startServer(t, t.TempDir())
	if _, err := call(srv.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "lab"}); err != nil {
		t.Fatal(err)
	}
	payload := base64.StdEncoding.EncodeToString([]byte(`{"browseraction":"DiscoveryKinesisTest", "site": "yourwebsiteurl.domain.com"}` + "\n"))
	if _, err := call(srv.url, "Firehose_20150804.PutRecord", map[string]any{"DeliveryStreamName": "lab", "Record": map[string]string{"Data": payload}}); err != nil {
		t.Fatal(err)
	}
	apps := func(args ...string) (string, error) {
		t.Helper()
		out, _, err := runRiffle(t, append(append([]string{"apps"}, args...), "--server", srv.url)...)
		return out, err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := apps(args...)
		if err != nil {
			t.Fatalf("riffle apps %v: %v", args, err)
		}
		return out
	}
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "app.sql"), filepath.Join(dir, "bad.sql")
	os.WriteFile(good, []byte(`CREATE STREAM "DESTINATION_SQL_STREAM" (action VARCHAR(32));
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM "browseraction" FROM "SOURCE_SQL_STREAM_001";`), 0o644)
	os.WriteFile(bad, []byte("CREATE STREAM s (a INTEGER);\nCREATE PUMP p AS INSERT INTO s SELECT STREAM nope FROM \"SOURCE_SQL_STREAM_001\";"), 0o644)

	if out := must("create", "lab", "--code", good, "--firehose", "lab"); !strings.Contains(out, "application/lab READY") {
		t.Fatalf("create: %q", out)
	}
	must("start", "lab")
	if out := must("list"); !regexp.MustCompile(`(?m)^lab\s+RUNNING\s+arn:aws:kinesisanalytics:`).MatchString(out) {
		t.Fatalf("list: %q", out)
	}
	if _, err := apps("update", "lab", "--code", bad); err == nil || !strings.Contains(err.Error(), "CodeValidationException") || !strings.Contains(err.Error(), "2:") {
		t.Fatalf("update with bad SQL: %v", err)
	}
	var desc struct{ ApplicationDetail map[string]any }
	if err := json.Unmarshal([]byte(must("describe", "lab")), &desc); err != nil {
		t.Fatal(err)
	}
	d := desc.ApplicationDetail
	if d["ApplicationVersionId"] != float64(1) || d["ApplicationStatus"] != "RUNNING" {
		t.Fatalf("describe after a refused update: %v", d)
	}
	cols := d["InputDescriptions"].([]any)[0].(map[string]any)["InputSchema"].(map[string]any)["RecordColumns"].([]any)
	if len(cols) != 2 || cols[0].(map[string]any)["Name"] != "browseraction" {
		t.Fatalf("discovered columns: %v", cols)
	}
	if _, err := apps("start", "lab"); err == nil || !strings.Contains(err.Error(), "ResourceInUseException") {
		t.Fatalf("start while running: %v", err)
	}

	// An output to a file: a record sent now comes out in it, as JSON.
	if _, err := apps("add-output", "lab", "--file", "rows.json", "--format", "XML"); err == nil || !strings.Contains(err.Error(), "ValidationException") {
		t.Fatalf("add-output with format XML: %v", err)
	}
	if _, err := apps("add-output", "lab", "--lambda", "nowhere"); err == nil || !strings.Contains(err.Error(), `no function "nowhere"`) {
		t.Fatalf("add-output to an unknown function: %v", err)
	}
	must("add-output", "lab", "--file", "out/rows.json")
	click := base64.StdEncoding.EncodeToString([]byte(`{"browseraction":"Click", "site": "yourwebsiteurl.domain.com"}` + "\n"))
	if _, err := call(srv.url, "Firehose_20150804.PutRecord", map[string]any{"DeliveryStreamName": "lab", "Record": map[string]string{"Data": click}}); err != nil {
		t.Fatal(err)
	}
	rows := filepath.Join(srv.dir, "outputs", "out", "rows.json")
	for deadline := time.Now().Add(30 * time.Second); ; {
		data, _ := os.ReadFile(rows)
		if string(data) == `{"ACTION":"Click"}`+"\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q", rows, data)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, bounded by the deadline
	}
	if err := json.Unmarshal([]byte(must("describe", "lab")), &desc); err != nil {
		t.Fatal(err)
	}
	out := desc.ApplicationDetail["OutputDescriptions"].([]any)[0].(map[string]any)
	if out["FileOutputDescription"].(map[string]any)["Path"] != "out/rows.json" || out["Name"] != "DESTINATION_SQL_STREAM" {
		t.Fatalf("output description: %v", out)
	}
	must("delete-output", "lab", out["OutputId"].(string))
	must("stop", "lab")
	must("delete", "lab")
	if out := must("list"); strings.Contains(out, "lab") {
		t.Fatalf("list after delete: %q", out)
	}
	if _, err := apps("describe", "lab"); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("describe after delete: %v", err)
	}
}

// TestWithAuthTheTapAndRiffleAppsNeedTheKey: under --auth, riffle apps and
// riffle tail sign with the environment's key; a wrong secret or an
// unsigned request to the tap is refused.
func TestWithAuthTheTapAndRiffleAppsNeedTheKey(t *testing.T) {
	auth := filepath.Join(t.TempDir(), "auth.json")
	os.WriteFile(auth, []byte(`{"AKIDEXAMPLE": "secret"}`), 0o600)
	srv := startServer(t, t.TempDir(), "--auth", auth)
	newAWSCLI(t, srv.url).run("firehose", "create-delivery-stream", "--delivery-stream-name", "lab")
	dir := t.TempDir()
	sql, schema := filepath.Join(dir, "app.sql"), filepath.Join(dir, "schema.json")
	os.WriteFile(sql, []byte(`CREATE STREAM "DESTINATION_SQL_STREAM" (a VARCHAR(16));
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM "browseraction" FROM "SOURCE_SQL_STREAM_001";`), 0o644)
	os.WriteFile(schema, []byte(`{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[{"Name":"browseraction","SqlType":"VARCHAR(16)","Mapping":"$.browseraction"}]}`), 0o644)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	for _, args := range [][]string{
		{"apps", "create", "lab", "--code", sql, "--schema", schema, "--firehose", "lab"},
		{"apps", "start", "lab"},
		{"tail", "lab", "DESTINATION_SQL_STREAM", "--follow=false"},
	} {
		if _, _, err := runRiffle(t, append(args, "--server", srv.url)...); err != nil {
			t.Fatalf("riffle %v with the key: %v", args, err)
		}
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	for _, args := range [][]string{{"apps", "list"}, {"tail", "lab", "DESTINATION_SQL_STREAM", "--follow=false"}} {
		if _, _, err := runRiffle(t, append(args, "--server", srv.url)...); err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
			t.Fatalf("riffle %v with a wrong secret: %v", args, err)
		}
	}
	resp, err := http.Get(srv.url + "/riffle/v1/applications/lab/streams/DESTINATION_SQL_STREAM?follow=false")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != "IncompleteSignatureException" {
		t.Fatalf("unsigned tap request: %s %s", resp.Status, resp.Header.Get("X-Amzn-ErrorType"))
	}
}
