package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/server/servertest"
)

// TestOutputsToStreamsElsewhereGoThroughTheirAPIs: an application's
// Kinesis and Firehose outputs name streams that are not on its server:
// it puts its rows into them through the Kinesis and Firehose APIs of the
// server given by --aws-endpoint (here a second riffle serve, standing for
// AWS). Every row arrives in each; an output naming a stream that exists
// nowhere is refused when it is given.
func TestOutputsToStreamsElsewhereGoThroughTheirAPIs(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	remote := startServer(t, t.TempDir())
	rc := servertest.NewClients(remote.url, "AKIDEXAMPLE", "secret")
	ctx := context.Background()
	if _, err := rc.Kinesis.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("rows"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := call(remote.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "archive"}); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, t.TempDir(), "--aws-endpoint", "kinesis="+remote.url, "--aws-endpoint", "firehose="+remote.url)
	if _, err := call(srv.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "clicks"}); err != nil {
		t.Fatal(err)
	}
	output := func(name, kind, arn string) map[string]any {
		return map[string]any{
			"Name":              name,
			kind:                map[string]any{"ResourceARN": arn, "RoleARN": "arn:aws:iam::123456789012:role/r"},
			"DestinationSchema": map[string]any{"RecordFormatType": "JSON"},
		}
	}
	if err := createSiteCopy(srv.url, "copy", output("DESTINATION_SQL_STREAM", "KinesisStreamsOutput", "arn:aws:kinesis:eu-west-1:123456789012:stream/nowhere")); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Fatalf("an output to a stream that exists nowhere: %v", err)
	}
	if err := createSiteCopy(srv.url, "copy",
		output("DESTINATION_SQL_STREAM", "KinesisStreamsOutput", "arn:aws:kinesis:eu-west-1:123456789012:stream/rows"),
		output("DESTINATION_SQL_STREAM", "KinesisFirehoseOutput", "arn:aws:firehose:eu-west-1:123456789012:deliverystream/archive"),
	); err != nil {
		t.Fatal(err)
	}
	startApplication(t, srv.url, "copy")
	const n = 12
	var want []string
	var recs []any
	for i := range n {
		site := fmt.Sprintf("site-%02d", i)
		want = append(want, fmt.Sprintf(`{"SITE":"%s"}`, site))
		recs = append(recs, map[string]string{"Data": base64.StdEncoding.EncodeToString(fmt.Appendf(nil, `{"site":%q}`, site))})
	}
	if _, err := call(srv.url, "Firehose_20150804.PutRecordBatch", map[string]any{"DeliveryStreamName": "clicks", "Records": recs}); err != nil {
		t.Fatal(err)
	}

	// The data stream, read through the remote server's Kinesis API.
	inKinesis := func() []string {
		var rows []string
		for _, shard := range []string{"shardId-000000000000", "shardId-000000000001"} {
			it, err := rc.Kinesis.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("rows"), ShardId: aws.String(shard), ShardIteratorType: kinesistypes.ShardIteratorTypeTrimHorizon})
			if err != nil {
				t.Fatal(err)
			}
			out, err := rc.Kinesis.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Records {
				rows = append(rows, string(r.Data))
			}
		}
		sort.Strings(rows)
		return rows
	}
	// The delivery stream, through the remote server's sample of its
	// newest records (all of them: fewer than its 20).
	inFirehose := func() []string {
		resp, err := http.Get(remote.url + "/riffle/v1/streams/archive/records")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var sample []struct{ Data string }
		if err := json.NewDecoder(resp.Body).Decode(&sample); err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, r := range sample {
			rows = append(rows, strings.TrimSuffix(r.Data, "\n"))
		}
		sort.Strings(rows)
		return rows
	}
	for _, c := range []struct {
		what string
		rows func() []string
	}{{"the data stream", inKinesis}, {"the delivery stream", inFirehose}} {
		poll.Until(t, 60*time.Second, func() (bool, string) {
			got := c.rows()
			return len(got) >= n, fmt.Sprintf("%s holds %d rows of %d", c.what, len(got), n)
		})
		if got := c.rows(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s holds %q\nwant %q", c.what, got, want)
		}
	}
}

// createSiteCopy creates an application that copies each record's site
// from the delivery stream clicks to DESTINATION_SQL_STREAM, with outputs.
func createSiteCopy(url, name string, outputs ...any) error {
	_, err := call(url, "KinesisAnalytics_20150814.CreateApplication", map[string]any{
		"ApplicationName": name,
		"ApplicationCode": `CREATE STREAM "DESTINATION_SQL_STREAM" (site VARCHAR(16));
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM "site" FROM "SOURCE_SQL_STREAM_001";`,
		"Inputs": []any{map[string]any{
			"NamePrefix":           "SOURCE_SQL_STREAM",
			"KinesisFirehoseInput": map[string]any{"ResourceARN": "arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks", "RoleARN": "arn:aws:iam::000000000000:role/r"},
			"InputSchema": map[string]any{
				"RecordFormat":  map[string]any{"RecordFormatType": "JSON"},
				"RecordColumns": []any{map[string]any{"Name": "site", "SqlType": "VARCHAR(16)", "Mapping": "$.site"}},
			},
		}},
		"Outputs": outputs,
	})
	return err
}
