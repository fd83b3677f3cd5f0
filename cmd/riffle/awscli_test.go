package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/riffle-sql/riffle/server/servertest"
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

// TestTheAWSCLISmoke: the real AWS CLI, signing with a key that riffle
// serve --auth checks, calls each service through its main path, the
// services side by side: Firehose (a delivery stream, the lab's batch,
// ACTIVE), Kinesis (a record put and read back), Kinesis Analytics (schema
// discovery, an application created, started with the CLI's shorthand,
// described, stopped and deleted with the CLI's CreateTimestamp); a wrong
// secret is refused. The APIs in depth are tested with the SDK's clients
// in package server.
func TestTheAWSCLISmoke(t *testing.T) {
	auth := filepath.Join(t.TempDir(), "auth.json")
	os.WriteFile(auth, []byte(`{"AKIDEXAMPLE": "secret"}`), 0o600)
	srv := startServer(t, t.TempDir(), "--auth", auth)
	write := func(t *testing.T, name, text string) string {
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, []byte(text), 0o644)
		return "file://" + p
	}

	t.Run("Firehose", func(t *testing.T) {
		t.Parallel()
		aws := newAWSCLI(t, srv.url) // signs with AKIDEXAMPLE / secret
		aws.run("firehose", "create-delivery-stream", "--delivery-stream-name", "clickstream")
		put := aws.run("firehose", "put-record-batch", "--delivery-stream-name", "clickstream", "--records", write(t, "records.json",
			`[{"Data":"{\"browseraction\":\"Click\", \"site\": \"yourwebsiteurl.domain.com\"}\n"},
{"Data":"{\"browseraction\":\"Impression\", \"site\": \"yourwebsiteurl.domain.com\"}\n"}]`))
		if put["FailedPutCount"].(float64) != 0 || len(put["RequestResponses"].([]any)) != 2 {
			t.Fatalf("put-record-batch: %v", put)
		}
		desc := aws.run("firehose", "describe-delivery-stream", "--delivery-stream-name", "clickstream")
		if desc["DeliveryStreamDescription"].(map[string]any)["DeliveryStreamStatus"] != "ACTIVE" {
			t.Fatalf("describe-delivery-stream: %v", desc)
		}
	})

	t.Run("Kinesis", func(t *testing.T) {
		t.Parallel()
		aws := newAWSCLI(t, srv.url)
		aws.run("kinesis", "create-stream", "--stream-name", "clicks", "--shard-count", "1")
		rec := aws.run("kinesis", "put-record", "--stream-name", "clicks", "--partition-key", "user-1", "--data", "record 00")
		it := aws.run("kinesis", "get-shard-iterator", "--stream-name", "clicks", "--shard-id", rec["ShardId"].(string), "--shard-iterator-type", "TRIM_HORIZON")
		got := aws.run("kinesis", "get-records", "--shard-iterator", it["ShardIterator"].(string))
		if records := got["Records"].([]any); len(records) != 1 || records[0].(map[string]any)["Data"] != base64.StdEncoding.EncodeToString([]byte("record 00")) {
			t.Fatalf("get-records: %v", got)
		}
	})

	t.Run("KinesisAnalytics", func(t *testing.T) {
		t.Parallel()
		// The delivery stream to discover from, made with the SDK.
		fhc := servertest.NewClients(srv.url, "AKIDEXAMPLE", "secret").Firehose
		ctx := context.Background()
		if _, err := fhc.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: awssdk.String("lab")}); err != nil {
			t.Fatal(err)
		}
		discovery := []byte(`{"browseraction":"DiscoveryKinesisTest", "site": "yourwebsiteurl.domain.com"}` + "\n")
		if _, err := fhc.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: awssdk.String("lab"), Record: &fhtypes.Record{Data: discovery}}); err != nil {
			t.Fatal(err)
		}
		aws := newAWSCLI(t, srv.url)
		const fh = "arn:aws:firehose:us-east-1:000000000000:deliverystream/lab"
		found := aws.run("kinesisanalytics", "discover-input-schema", "--resource-arn", fh, "--role-arn", "arn:aws:iam::000000000000:role/lab",
			"--input-starting-position-configuration", "InputStartingPosition=NOW")
		schema := found["InputSchema"].(map[string]any)
		if cols := schema["RecordColumns"].([]any); len(cols) != 2 || cols[0].(map[string]any)["Name"] != "browseraction" {
			t.Fatalf("discover-input-schema: %v", schema)
		}
		schemaJSON, _ := json.Marshal(schema)
		inputs := write(t, "inputs.json", `[{"NamePrefix":"SOURCE_SQL_STREAM","KinesisFirehoseInput":{"ResourceARN":"`+fh+`","RoleARN":"arn:aws:iam::000000000000:role/lab"},"InputParallelism":{"Count":1},"InputSchema":`+string(schemaJSON)+`}]`)
		code := write(t, "app.sql", `CREATE STREAM "DESTINATION_SQL_STREAM" (action VARCHAR(32));
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM "browseraction" FROM "SOURCE_SQL_STREAM_001";`)
		created := aws.run("kinesisanalytics", "create-application", "--application-name", "lab", "--application-code", code, "--inputs", inputs)
		if created["ApplicationSummary"].(map[string]any)["ApplicationStatus"] != "READY" {
			t.Fatalf("create-application: %v", created)
		}
		aws.run("kinesisanalytics", "start-application", "--application-name", "lab",
			"--input-configurations", "Id=1.1,InputStartingPositionConfiguration={InputStartingPosition=NOW}")
		detail := aws.run("kinesisanalytics", "describe-application", "--application-name", "lab")["ApplicationDetail"].(map[string]any)
		if detail["ApplicationStatus"] != "RUNNING" {
			t.Fatalf("after start-application: %v", detail["ApplicationStatus"])
		}
		aws.run("kinesisanalytics", "stop-application", "--application-name", "lab")
		aws.run("kinesisanalytics", "delete-application", "--application-name", "lab", "--create-timestamp", strconv.FormatFloat(detail["CreateTimestamp"].(float64), 'f', -1, 64))
		if out, err := aws.try("kinesisanalytics", "describe-application", "--application-name", "lab"); err == nil || !strings.Contains(out, "ResourceNotFoundException") {
			t.Fatalf("describe-application after delete-application: %v\n%s", err, out)
		}
	})

	t.Run("AWrongSecret", func(t *testing.T) {
		t.Parallel()
		aws := newAWSCLI(t, srv.url)
		aws.env = append(aws.env, "AWS_SECRET_ACCESS_KEY=wrong")
		out, err := aws.try("firehose", "create-delivery-stream", "--delivery-stream-name", "forged")
		if err == nil || !strings.Contains(out, "InvalidSignatureException") {
			t.Fatalf("a wrong secret: %v\n%s", err, out)
		}
	})
}

// try runs the CLI and returns what it printed.
func (a *awsCLI) try(args ...string) (string, error) {
	args = append(append(args, "--endpoint-url", a.url, "--output", "json"), a.rawBlob...)
	cmd := exec.Command("aws", args...)
	cmd.Env = a.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}
