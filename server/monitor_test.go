package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	katypes "github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"

	"github.com/riffle-sql/riffle/api"
	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/lambdatest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/safedial"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
)

// get is a GET of the server's path: its status and body.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

var sample = regexp.MustCompile(`^(\w+)\{(.*)\} (\S+)$`)
var label = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)

// scraped reads the figures of application name from a /metrics scrape:
// what the metrics endpoint must say (but its clock, status and texts).
func scraped(t *testing.T, text, name string) api.AppMetrics {
	t.Helper()
	out := api.AppMetrics{Streams: []api.StreamRows{}, Outputs: []api.OutputMetrics{}}
	outputs := map[[2]string]*api.OutputMetrics{}
	for line := range strings.SplitSeq(text, "\n") {
		m := sample.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		labels := map[string]string{}
		for _, l := range label.FindAllStringSubmatch(m[2], -1) {
			labels[l[1]], _ = strconv.Unquote(`"` + l[2] + `"`)
		}
		if labels["application"] != name {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		o := func() *api.OutputMetrics {
			k := [2]string{labels["output"], labels["destination"]}
			if outputs[k] == nil {
				outputs[k] = &api.OutputMetrics{OutputID: k[0], Destination: k[1]}
			}
			return outputs[k]
		}
		at := func() *string {
			s := time.UnixMilli(int64(v * 1000)).UTC().Format("2006-01-02T15:04:05.000Z07:00")
			return &s
		}
		switch m[1] {
		case "riffle_application_records_read_total":
			out.RecordsRead = int64(v)
		case "riffle_input_late_records_total":
			out.LateRecords = int64(v)
		case "riffle_application_stream_rows_total":
			out.Streams = append(out.Streams, api.StreamRows{Name: labels["stream"], Rows: int64(v)})
		case "riffle_application_input_lag_messages":
			n := int64(v)
			out.InputLagMessages = &n
		case "riffle_application_checkpoint_age_seconds":
			out.CheckpointAgeSeconds = &v
		case "riffle_destination_delivered_records_total":
			o().Delivered = int64(v)
		case "riffle_destination_failed_records_total":
			o().Failed = int64(v)
		case "riffle_destination_retried_records_total":
			o().Retried = int64(v)
		case "riffle_destination_in_flight_records":
			o().InFlight = int64(v)
		case "riffle_destination_last_success_timestamp_seconds":
			o().LastSuccess = at()
		case "riffle_destination_last_error_timestamp_seconds":
			o().LastErrorAt = at()
		}
	}
	sort.Slice(out.Streams, func(i, j int) bool { return out.Streams[i].Name < out.Streams[j].Name })
	for _, o := range outputs {
		out.Outputs = append(out.Outputs, *o)
	}
	sort.Slice(out.Outputs, func(i, j int) bool { return out.Outputs[i].OutputID < out.Outputs[j].OutputID })
	return out
}

// TestTheMonitoringFiguresAreThoseOfMetrics: an application's metrics
// endpoint says what /metrics says of it (records read, the rows of each
// stream with error_stream's for a record that does not fit, its lag and
// checkpoint, its outputs' deliveries), and a Lambda URL that fails shows
// failed rows, when, and the one error of a URL given through the API; an
// unknown application is a 404.
func TestTheMonitoringFiguresAreThoseOfMetrics(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "the function is broken", http.StatusInternalServerError)
	}))
	defer failing.Close()
	srv := servertest.Start(t, server.Config{Apps: app.Options{Poll: 10 * time.Millisecond, Functions: map[string]destination.Function{"notify": lambdatest.Accepting{}}, AllowPrivateURLs: true}})
	c := srv.Clients("AKIDEXAMPLE", "secret")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if _, err := c.Firehose.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("in")}); err != nil {
		t.Fatal(err)
	}
	out := func(arn string) katypes.Output {
		return katypes.Output{Name: aws.String("OUT"), LambdaOutput: &katypes.LambdaOutput{ResourceARN: aws.String(arn), RoleARN: aws.String("arn:aws:iam::000000000000:role/r")},
			DestinationSchema: &katypes.DestinationSchema{RecordFormatType: katypes.RecordFormatTypeJson}}
	}
	if _, err := c.Apps.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String("mon"),
		ApplicationCode: aws.String(`CREATE STREAM "OUT" (v INTEGER); CREATE PUMP p AS INSERT INTO "OUT" SELECT STREAM "v" FROM "SOURCE_SQL_STREAM_001";`),
		Inputs: []katypes.Input{{NamePrefix: aws.String("SOURCE_SQL_STREAM"),
			KinesisFirehoseInput: &katypes.KinesisFirehoseInput{ResourceARN: aws.String("arn:aws:firehose:us-east-1:000000000000:deliverystream/in"), RoleARN: aws.String("arn:aws:iam::000000000000:role/r")},
			InputSchema: &katypes.SourceSchema{RecordFormat: &katypes.RecordFormat{RecordFormatType: katypes.RecordFormatTypeJson},
				RecordColumns: []katypes.RecordColumn{{Name: aws.String("v"), SqlType: aws.String("INTEGER"), Mapping: aws.String("$.v")}}}}},
		Outputs: []katypes.Output{out("arn:aws:lambda:us-east-1:000000000000:function:notify"), out(failing.URL + "/invoke")},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apps.StartApplication(ctx, &kinesisanalytics.StartApplicationInput{ApplicationName: aws.String("mon"),
		InputConfigurations: []katypes.InputConfiguration{{Id: aws.String("1.1"),
			InputStartingPositionConfiguration: &katypes.InputStartingPositionConfiguration{InputStartingPosition: katypes.InputStartingPositionNow}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Firehose.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("in"),
		Records: []fhtypes.Record{{Data: []byte(`{"v":1}`)}, {Data: []byte(`{"v":2}`)}, {Data: []byte(`{"v":3}`)}, {Data: []byte(`not json`)}}}); err != nil {
		t.Fatal(err)
	}

	endpoint := func() api.AppMetrics {
		t.Helper()
		status, body := get(t, srv.URL+"/riffle/v1/applications/mon/metrics")
		if status != http.StatusOK {
			t.Fatalf("metrics: %d %s", status, body)
		}
		var m api.AppMetrics
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("metrics: %v: %s", err, body)
		}
		return m
	}
	// comparable leaves out what the scrape cannot say or what moves with
	// the clock.
	comparable := func(m api.AppMetrics) api.AppMetrics {
		m.Application, m.Status, m.RunningHere, m.Node, m.At, m.CheckpointAgeSeconds = "", "", false, "", "", nil
		m.Outputs = slices.Clone(m.Outputs)
		for i := range m.Outputs {
			m.Outputs[i].Output, m.Outputs[i].LastError = "", ""
		}
		return m
	}
	var got api.AppMetrics
	poll.Until(t, 30*time.Second, func() (bool, string) {
		got = endpoint()
		if got.RecordsRead < 4 || len(got.Outputs) != 2 || got.Outputs[0].Delivered < 3 || got.Outputs[1].Failed == 0 {
			return false, fmt.Sprintf("the figures: %+v", got)
		}
		_, text := get(t, srv.URL+"/metrics")
		again := endpoint()
		// Nothing moved between the two looks: the scrape saw the same.
		if !reflect.DeepEqual(comparable(got), comparable(again)) {
			return false, "the figures moved"
		}
		want := scraped(t, string(text), "mon")
		if want.CheckpointAgeSeconds == nil {
			t.Fatal("/metrics has no checkpoint age")
		}
		if !reflect.DeepEqual(comparable(got), comparable(want)) {
			t.Fatalf("the endpoint says\n%+v\n/metrics says\n%+v", comparable(got), comparable(want))
		}
		got = again
		return true, ""
	})
	if got.Application != "mon" || got.Status != "RUNNING" || !got.RunningHere || got.Node != "" || got.CheckpointAgeSeconds == nil {
		t.Errorf("the application's state: %+v", got)
	}
	if _, err := time.Parse(time.RFC3339, got.At); err != nil {
		t.Errorf("at: %v", err)
	}
	wantStreams := []api.StreamRows{{Name: "OUT", Rows: 3}, {Name: "SOURCE_SQL_STREAM_001", Rows: 3}, {Name: "error_stream", Rows: 1}}
	if !reflect.DeepEqual(got.Streams, wantStreams) || got.RecordsRead != 4 {
		t.Errorf("streams %+v, records read %d; want %+v of 4", got.Streams, got.RecordsRead, wantStreams)
	}
	if got.InputLagMessages == nil || *got.InputLagMessages != 0 {
		t.Errorf("input lag with everything fed: %v", got.InputLagMessages)
	}
	ok, bad := got.Outputs[0], got.Outputs[1]
	if ok.Output != "OUT" || ok.OutputID != "1.1" || ok.Destination != "lambda:notify" || ok.Delivered != 3 || ok.Failed != 0 || ok.LastSuccess == nil || ok.LastErrorAt != nil || ok.LastError != "" {
		t.Errorf("the accepting output: %+v", ok)
	}
	if bad.Output != "OUT" || bad.OutputID != "1.2" || bad.Destination != "lambda:"+failing.URL+"/invoke" || bad.Delivered != 0 || bad.LastSuccess != nil || bad.LastErrorAt == nil ||
		!strings.Contains(bad.LastError, safedial.ErrUnusable.Error()) || strings.Contains(bad.LastError, "broken") { // a URL given through the API: the one error, the cause in the log
		t.Errorf("the failing output: %+v", bad)
	}

	if status, body := get(t, srv.URL+"/riffle/v1/applications/nope/metrics"); status != http.StatusNotFound {
		t.Errorf("an unknown application's metrics: %d %s", status, body)
	}
}
