// The management, Firehose and Kinesis APIs of the assembled server, called
// in process with aws-sdk-go-v2's clients: what the AWS CLI tests of
// cmd/riffle checked, without a CLI process per call (cmd/riffle keeps one
// AWS CLI smoke test per service).
package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	katypes "github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
	"github.com/aws/smithy-go"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/internal/promscrape"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
)

// The lab's payloads, as the Kinesis Data Generator sends them (with LF).
func labPayload(action string) []byte {
	return []byte(fmt.Sprintf(`{"browseraction":%q, "site": "yourwebsiteurl.domain.com"}`+"\n", action))
}

// TestFirehoseAndKinesisWithTheSDK: a delivery stream takes the lab's
// batch and is listed and ACTIVE; a two-shard data stream gives each
// shard's records back in order, and both shards are used; /metrics on
// the same port counts the records of each API.
func TestFirehoseAndKinesisWithTheSDK(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	c := srv.Clients("AKIDEXAMPLE", "secret")
	ctx := context.Background()

	if _, err := c.Firehose.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("clickstream")}); err != nil {
		t.Fatal(err)
	}
	put, err := c.Firehose.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("clickstream"),
		Records: []fhtypes.Record{{Data: labPayload("Click")}, {Data: labPayload("Impression")}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(put.FailedPutCount) != 0 || len(put.RequestResponses) != 2 {
		t.Fatalf("PutRecordBatch: %+v", put)
	}
	list, err := c.Firehose.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(list.DeliveryStreamNames) != "[clickstream]" {
		t.Fatalf("ListDeliveryStreams: %v", list.DeliveryStreamNames)
	}
	desc, err := c.Firehose.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("clickstream")})
	if err != nil {
		t.Fatal(err)
	}
	if desc.DeliveryStreamDescription.DeliveryStreamStatus != fhtypes.DeliveryStreamStatusActive {
		t.Fatalf("DescribeDeliveryStream: status %s", desc.DeliveryStreamDescription.DeliveryStreamStatus)
	}

	if _, err := c.Kinesis.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("clicks"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	var entries []kintypes.PutRecordsRequestEntry
	for i := range 20 {
		entries = append(entries, kintypes.PutRecordsRequestEntry{Data: fmt.Appendf(nil, "record %02d", i), PartitionKey: aws.String(fmt.Sprintf("user-%d", i%5))})
	}
	res, err := c.Kinesis.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("clicks"), Records: entries})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(res.FailedRecordCount) != 0 {
		t.Fatalf("PutRecords: %d failed", aws.ToInt32(res.FailedRecordCount))
	}
	want := map[string][]string{}
	for i, r := range res.Records {
		shard := aws.ToString(r.ShardId)
		want[shard] = append(want[shard], fmt.Sprintf("record %02d", i))
	}
	if len(want) != 2 {
		t.Fatalf("the records used %d shards, want both", len(want))
	}
	for shard, records := range want {
		it, err := c.Kinesis.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("clicks"), ShardId: aws.String(shard),
			ShardIteratorType: kintypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Kinesis.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatal(err)
		}
		var data []string
		for _, r := range got.Records {
			data = append(data, string(r.Data))
		}
		if fmt.Sprint(data) != fmt.Sprint(records) {
			t.Fatalf("%s: GetRecords %v, want %v", shard, data, records)
		}
	}

	m := promscrape.Series(t, srv.URL)
	for series, want := range map[string]float64{`riffle_ingest_records_total{api="firehose"}`: 2, `riffle_ingest_records_total{api="kinesis"}`: 20} {
		if m[series] != want {
			t.Fatalf("/metrics: %s %v, want %v", series, m[series], want)
		}
	}
}

// TestEveryAPIChecksSignatures: with credentials, each API answers a call
// signed with the key and refuses one signed with a wrong secret
// (InvalidSignatureException), which changes nothing.
func TestEveryAPIChecksSignatures(t *testing.T) {
	srv := servertest.Start(t, server.Config{Credentials: map[string]string{"AKIDEXAMPLE": "secret"}})
	ctx := context.Background()
	calls := func(c servertest.Clients, name string) map[string]error {
		_, fh := c.Firehose.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String(name + "-delivery")})
		_, kin := c.Kinesis.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name + "-data"), ShardCount: aws.Int32(1)})
		_, ka := c.Apps.ListApplications(ctx, &kinesisanalytics.ListApplicationsInput{})
		return map[string]error{"Firehose": fh, "Kinesis": kin, "KinesisAnalytics": ka}
	}
	good := srv.Clients("AKIDEXAMPLE", "secret")
	for api, err := range calls(good, "signed") {
		if err != nil {
			t.Errorf("%s signed with the key: %v", api, err)
		}
	}
	for api, err := range calls(srv.Clients("AKIDEXAMPLE", "wrong"), "forged") {
		var refused smithy.APIError
		if !errors.As(err, &refused) || refused.ErrorCode() != "InvalidSignatureException" {
			t.Errorf("%s signed with a wrong secret: %v, want InvalidSignatureException", api, err)
		}
	}
	fh, err := good.Firehose.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{})
	if err != nil {
		t.Fatal(err)
	}
	kin, err := good.Kinesis.ListStreams(ctx, &kinesis.ListStreamsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(fh.DeliveryStreamNames, kin.StreamNames) != "[signed-delivery] [signed-data]" {
		t.Fatalf("streams after the refused calls: %v %v", fh.DeliveryStreamNames, kin.StreamNames)
	}
}

// tap follows an in-application stream (server-sent events) until ctx
// ends.
type tap struct {
	body io.Closer
	scan *bufio.Scanner
}

func follow(t *testing.T, ctx context.Context, url, application, stream string) *tap {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/riffle/v1/applications/"+application+"/streams/"+stream, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("tap %s: %s", stream, resp.Status)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &tap{body: resp.Body, scan: bufio.NewScanner(resp.Body)}
}

// next is the stream's next row.
func (tp *tap) next(t *testing.T) string {
	t.Helper()
	for tp.scan.Scan() {
		if row, ok := strings.CutPrefix(tp.scan.Text(), "data: "); ok {
			return row
		}
	}
	t.Fatalf("the tap ended: %v", tp.scan.Err())
	return ""
}

// TestTheLabWithTheSDK drives the lab's steps through the SDK: a delivery
// stream, the discovery payload, schema discovery, the application
// (created, started with the input's id), live traffic, its steady CTR
// rows, the burst's anomaly in DESTINATION_SQL_STREAM, then stop, delete
// with the described CreateTimestamp, and an empty list. Application time
// runs 40 times faster.
func TestTheLabWithTheSDK(t *testing.T) {
	const scale = 40
	srv := servertest.Start(t, server.Config{Apps: app.Options{TimeScale: scale, Checkpoint: 200 * time.Millisecond, Poll: 10 * time.Millisecond}})
	c := srv.Clients("AKIDEXAMPLE", "secret")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const fh = "arn:aws:firehose:us-east-1:000000000000:deliverystream/lab"
	const role = "arn:aws:iam::000000000000:role/lab"
	if _, err := c.Firehose.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("lab")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Firehose.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("lab"), Record: &fhtypes.Record{Data: labPayload("DiscoveryKinesisTest")}}); err != nil {
		t.Fatal(err)
	}
	found, err := c.Apps.DiscoverInputSchema(ctx, &kinesisanalytics.DiscoverInputSchemaInput{ResourceARN: aws.String(fh), RoleARN: aws.String(role),
		InputStartingPositionConfiguration: &katypes.InputStartingPositionConfiguration{InputStartingPosition: katypes.InputStartingPositionNow}})
	if err != nil {
		t.Fatal(err)
	}
	cols := found.InputSchema.RecordColumns
	if len(cols) != 2 {
		t.Fatalf("discovered %d columns: %+v", len(cols), cols)
	}
	for i, want := range []string{"browseraction", "site"} {
		c := cols[i]
		if aws.ToString(c.Name) != want || aws.ToString(c.Mapping) != "$."+want || !strings.HasPrefix(aws.ToString(c.SqlType), "VARCHAR(") {
			t.Fatalf("column %d: %s %s %s", i, aws.ToString(c.Name), aws.ToString(c.SqlType), aws.ToString(c.Mapping))
		}
	}
	sql, err := os.ReadFile("../runner/testdata/bench/clickstream.sql")
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.Apps.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{
		ApplicationName: aws.String("lab"), ApplicationCode: aws.String(string(sql)),
		Inputs: []katypes.Input{{NamePrefix: aws.String("SOURCE_SQL_STREAM"),
			KinesisFirehoseInput: &katypes.KinesisFirehoseInput{ResourceARN: aws.String(fh), RoleARN: aws.String(role)},
			InputParallelism:     &katypes.InputParallelism{Count: aws.Int32(1)}, InputSchema: found.InputSchema}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.ApplicationSummary.ApplicationStatus != katypes.ApplicationStatusReady {
		t.Fatalf("CreateApplication: status %s", created.ApplicationSummary.ApplicationStatus)
	}
	if _, err := c.Apps.StartApplication(ctx, &kinesisanalytics.StartApplicationInput{ApplicationName: aws.String("lab"),
		InputConfigurations: []katypes.InputConfiguration{{Id: aws.String("1.1"),
			InputStartingPositionConfiguration: &katypes.InputStartingPositionConfiguration{InputStartingPosition: katypes.InputStartingPositionNow}}}}); err != nil {
		t.Fatal(err)
	}
	status := func() *katypes.ApplicationDetail {
		t.Helper()
		d, err := c.Apps.DescribeApplication(ctx, &kinesisanalytics.DescribeApplicationInput{ApplicationName: aws.String("lab")})
		if err != nil {
			t.Fatal(err)
		}
		return d.ApplicationDetail
	}
	if s := status().ApplicationStatus; s != katypes.ApplicationStatusRunning {
		t.Fatalf("after start: %s", s)
	}
	ctr := follow(t, ctx, srv.URL, "lab", "CTRSTREAM")
	anomalies := follow(t, ctx, srv.URL, "lab", "DESTINATION_SQL_STREAM")

	// The lab's traffic: an impression and a click each application second;
	// during a burst, three more clicks each second for 20 seconds.
	startBurst := make(chan struct{})
	send, stop := context.WithCancel(ctx)
	var sender sync.WaitGroup
	sender.Go(func() {
		begin, burstLeft := startBurst, 0 // application seconds of burst left
		tick := time.NewTicker(time.Second / scale)
		defer tick.Stop()
		for {
			select {
			case <-send.Done():
				return
			case <-tick.C:
			}
			select {
			case <-begin:
				begin, burstLeft = nil, 20
			default:
			}
			records := []fhtypes.Record{{Data: labPayload("Impression")}, {Data: labPayload("Click")}}
			if burstLeft > 0 {
				records = append(records, fhtypes.Record{Data: labPayload("Click")}, fhtypes.Record{Data: labPayload("Click")}, fhtypes.Record{Data: labPayload("Click")})
				burstLeft--
			}
			if _, err := c.Firehose.PutRecordBatch(send, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("lab"), Records: records}); err != nil && send.Err() == nil {
				t.Errorf("PutRecordBatch: %v", err)
				return
			}
		}
	})
	defer func() { stop(); sender.Wait() }()

	// The forest scores 0 for its first 12 rows (subSampleSize): let it
	// warm up. The first window may have started mid-way.
	ctr.next(t)
	for range 13 {
		if row := ctr.next(t); !strings.Contains(row, `"CTR":100}`) {
			t.Fatalf("steady CTR row %s, want 100", row)
		}
	}
	// Right after a window closed, so the burst fills most of the next.
	close(startBurst)
	row := anomalies.next(t)
	var anomaly struct{ CTRPERCENT, ANOMALY_SCORE float64 }
	if err := json.Unmarshal([]byte(row), &anomaly); err != nil {
		t.Fatal(err)
	}
	if anomaly.CTRPERCENT < 200 || anomaly.ANOMALY_SCORE <= 2 {
		t.Fatalf("anomaly %s: want the burst's CTR (about 400) scoring above 2", row)
	}
	t.Logf("anomaly: %s", row)
	stop()
	sender.Wait()

	if _, err := c.Apps.StopApplication(ctx, &kinesisanalytics.StopApplicationInput{ApplicationName: aws.String("lab")}); err != nil {
		t.Fatal(err)
	}
	d := status()
	if d.ApplicationStatus != katypes.ApplicationStatusReady {
		t.Fatalf("after stop: %s", d.ApplicationStatus)
	}
	if _, err := c.Apps.DeleteApplication(ctx, &kinesisanalytics.DeleteApplicationInput{ApplicationName: aws.String("lab"), CreateTimestamp: d.CreateTimestamp}); err != nil {
		t.Fatal(err)
	}
	list, err := c.Apps.ListApplications(ctx, &kinesisanalytics.ListApplicationsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.ApplicationSummaries) != 0 {
		t.Fatalf("after delete: %d applications", len(list.ApplicationSummaries))
	}
}
