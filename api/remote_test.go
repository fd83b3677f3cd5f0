package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/awsclients"
	"github.com/riffle-sql/riffle/awskinesis"
	"github.com/riffle-sql/riffle/internal/kinesalite"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestInputsOfOtherServers: a Kinesis ARN that names no stream of this
// server is another server's stream (kinesalite here): the application is
// created on it when it exists (its description gives the ARN back, and
// its schema can be discovered from it), refused when it does not; a
// Kinesis ARN of this server's account and region naming a stream it has
// is that stream; a Firehose delivery stream this server lacks is refused
// with what to do instead.
func TestInputsOfOtherServers(t *testing.T) {
	k := kinesalite.Start(t)
	k.CreateStream(t, "beacons", 2)
	if _, err := k.Client.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamName: aws.String("beacons"), PartitionKey: aws.String("a"),
		Data: []byte(`{"v": 1}`)}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", kinesalite.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", kinesalite.SecretKey)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	client := awskinesis.New(awsclients.New(awsclients.Endpoints{"kinesis": k.URL}))
	srv := servertest.Start(t, server.Config{Apps: app.Options{Kinesis: client}})
	streamlogtest.Create(t, srv.Log, streamlogtest.Stream{Name: "local", Kind: "kinesis", Shards: 1})
	schema := `"InputSchema":{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[{"Name":"v","SqlType":"INTEGER","Mapping":"$.v"}]}`
	create := func(name, source string) (int, map[string]any) {
		return call(t, srv.URL, "CreateApplication", `{"ApplicationName":"`+name+`","ApplicationCode":"`+code+`",
"Inputs":[{"NamePrefix":"SOURCE_SQL_STREAM",`+source+`,`+schema+`}]}`)
	}
	inputARN := func(name string) string {
		_, out := call(t, srv.URL, "DescribeApplication", `{"ApplicationName":"`+name+`"}`)
		in := out["ApplicationDetail"].(map[string]any)["InputDescriptions"].([]any)[0].(map[string]any)
		return in["KinesisStreamsInputDescription"].(map[string]any)["ResourceARN"].(string)
	}

	remote := kinesalite.ARN("beacons")
	if status, out := create("remote", `"KinesisStreamsInput":{"ResourceARN":"`+remote+`"}`); status != 200 {
		t.Fatalf("create on %s: %v", remote, out)
	}
	if got := inputARN("remote"); got != remote {
		t.Errorf("the input's ARN is %s, want %s", got, remote)
	}
	if status, out := call(t, srv.URL, "DiscoverInputSchema", `{"ResourceARN":"`+remote+`"}`); status != 200 ||
		!strings.Contains(mustJSON(out["RawInputRecords"]), `{\"v\": 1}`) {
		t.Errorf("discover on %s: %d %v", remote, status, out)
	}

	// This server's account and region, and a stream it has: its own.
	own := "arn:aws:kinesis:us-east-1:000000000000:stream/local"
	if status, out := create("own", `"KinesisStreamsInput":{"ResourceARN":"`+own+`"}`); status != 200 {
		t.Fatalf("create on %s: %v", own, out)
	}
	if _, err := client.Describe(context.Background(), awskinesis.ARN{Partition: "aws", Region: "us-east-1", Account: "000000000000", Name: "local"}); err == nil {
		t.Fatal("kinesalite has a stream named local: the test cannot tell the servers apart")
	}

	for _, c := range []struct{ name, source, want string }{
		{"missing", `"KinesisStreamsInput":{"ResourceARN":"arn:aws:kinesis:us-east-1:000000000000:stream/nowhere"}`, "does not exist"},
		{"firehose", `"KinesisFirehoseInput":{"ResourceARN":"arn:aws:firehose:eu-west-1:123456789012:deliverystream/orders"}`, "Firehose has no API to read a delivery stream from"},
	} {
		status, out := create(c.name, c.source)
		if status != 400 || out["__type"] != "InvalidArgumentException" || !strings.Contains(out["message"].(string), c.want) {
			t.Errorf("%s: %d %v, want InvalidArgumentException saying %q", c.name, status, out, c.want)
		}
	}

	// Started, it reads the other server's records.
	if _, out := call(t, srv.URL, "StartApplication", `{"ApplicationName":"remote","InputConfigurations":[{"Id":"1.1","InputStartingPositionConfiguration":{"InputStartingPosition":"TRIM_HORIZON"}}]}`); out["__type"] != nil {
		t.Fatalf("start: %v", out)
	}
	if _, err := k.Client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("beacons"), Records: []types.PutRecordsRequestEntry{
		{PartitionKey: aws.String("b"), Data: []byte(`{"v": 2}`)}}}); err != nil {
		t.Fatal(err)
	}
	waitRead(t, srv.Apps, "remote", 2)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// waitRead waits until a running application has read n records.
func waitRead(t *testing.T, m *app.Manager, name string, n int64) {
	t.Helper()
	poll.Until(t, 30*time.Second, func() (bool, string) {
		got, err := m.RecordsRead(name)
		return err == nil && got >= n, fmt.Sprintf("%s read %d records (%v), want %d", name, got, err, n)
	})
}
