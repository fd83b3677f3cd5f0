package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"

	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/server/servertest"
)

// TestAppsCommands manages an application with riffle apps: create (the
// schema discovered from the stream), list, start, a refused update with
// the SQL error's position, describe, an output to a file whose row riffle
// tail prints too, stop and delete.
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

	if out := must("create", "lab", "--code", good, "--firehose", "lab", "--settle", "200ms"); !strings.Contains(out, "application/lab READY") {
		t.Fatalf("create: %q", out)
	}
	must("start", "lab")
	// The settle wait, set on create and changed alone on the running
	// application, is in the description.
	settle := func() any {
		t.Helper()
		var desc struct{ ApplicationDetail map[string]any }
		if err := json.Unmarshal([]byte(must("describe", "lab")), &desc); err != nil {
			t.Fatal(err)
		}
		return desc.ApplicationDetail["RiffleSettleMillis"]
	}
	if got := settle(); got != float64(200) {
		t.Fatalf("settle after create --settle 200ms: %v", got)
	}
	if _, err := apps("update", "lab", "--settle", "2m"); err == nil || !strings.Contains(err.Error(), "InvalidArgumentException") {
		t.Fatalf("update --settle 2m: %v", err)
	}
	must("update", "lab", "--settle", "100ms")
	if got := settle(); got != float64(100) {
		t.Fatalf("settle after update --settle 100ms: %v", got)
	}
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
	if d["ApplicationVersionId"] != float64(2) || d["ApplicationStatus"] != "RUNNING" {
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
	poll.Until(t, 30*time.Second, func() (bool, string) {
		data, _ := os.ReadFile(rows)
		return string(data) == `{"ACTION":"Click"}`+"\n", fmt.Sprintf("%s holds %q", rows, data)
	})
	// riffle tail prints the stream's recent rows, as JSON lines.
	if out, _, err := runRiffle(t, "tail", "lab", "DESTINATION_SQL_STREAM", "--follow=false", "--server", srv.url); err != nil || !regexp.MustCompile(`^\{"ROWTIME":"[^"]+","ACTION":"Click"\}\n$`).MatchString(out) {
		t.Fatalf("riffle tail: %q %v", out, err)
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
	srv := startServer(t, t.TempDir(), "--auth", keyFile(t))
	startActionApp(t, srv.url)
	if _, _, err := runRiffle(t, "tail", "lab", "DESTINATION_SQL_STREAM", "--follow=false", "--server", srv.url); err != nil {
		t.Fatalf("riffle tail with the key: %v", err)
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

// TestAppsErrorsReadAsTheServiceNamesThem: a call the server refuses is
// sent once (no retries, even for a retryable 500) and reads
// "Operation: Type: message", without the SDK's attempt and request-id
// details; a server that does not answer says so (TestCommandsWithoutAServerSaySo).
func TestAppsErrorsReadAsTheServiceNamesThem(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"__type":"InternalFailure","message":"the disk is full"}`))
	}))
	defer srv.Close()
	_, _, err := runRiffle(t, "apps", "list", "--server", srv.URL)
	if err == nil || err.Error() != "ListApplications: InternalFailure: the disk is full" {
		t.Fatalf("a refused call: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the call was sent %d times, want once", n)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens at its address now
	_, _, err = runRiffle(t, "apps", "describe", "lab", "--server", closed.URL)
	if want := "cannot reach riffle serve at " + closed.URL + ": is it running? start one with: riffle serve"; err == nil || err.Error() != want {
		t.Fatalf("no server: %v, want %q", err, want)
	}
}

// keyFile writes an --auth file holding one key, AKIDEXAMPLE with secret
// "secret", and signs the test's riffle commands with it.
func keyFile(t *testing.T) string {
	t.Helper()
	auth := filepath.Join(t.TempDir(), "auth.json")
	os.WriteFile(auth, []byte(`{"AKIDEXAMPLE": "secret"}`), 0o600)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	return auth
}

// startActionApp creates the delivery stream lab on the server and, with
// riffle apps, an application lab reading it that copies each record's
// browseraction, and starts it.
func startActionApp(t *testing.T, url string) {
	t.Helper()
	if _, err := servertest.NewClients(url, "AKIDEXAMPLE", "secret").Firehose.CreateDeliveryStream(context.Background(), &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("lab")}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sql, schema := filepath.Join(dir, "app.sql"), filepath.Join(dir, "schema.json")
	os.WriteFile(sql, []byte(`CREATE STREAM "DESTINATION_SQL_STREAM" (a VARCHAR(16));
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM "browseraction" FROM "SOURCE_SQL_STREAM_001";`), 0o644)
	os.WriteFile(schema, []byte(`{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[{"Name":"browseraction","SqlType":"VARCHAR(16)","Mapping":"$.browseraction"}]}`), 0o644)
	for _, args := range [][]string{
		{"apps", "create", "lab", "--code", sql, "--schema", schema, "--firehose", "lab"},
		{"apps", "start", "lab"},
	} {
		if _, _, err := runRiffle(t, append(args, "--server", url)...); err != nil {
			t.Fatalf("riffle %v: %v", args, err)
		}
	}
}
