package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/lambdatest"
	"github.com/riffle-sql/riffle/internal/poll"
)

// definition is a file of the migrate package's test data.
func definition(name string) string { return filepath.Join("..", "..", "migrate", "testdata", name) }

// describeApp runs riffle apps describe and reads its JSON.
func describeApp(t *testing.T, server, name string) map[string]any {
	t.Helper()
	out, _, err := runRiffle(t, "apps", "describe", name, "--server", server)
	if err != nil {
		t.Fatalf("riffle apps describe %s: %v", name, err)
	}
	var d struct{ ApplicationDetail map[string]any }
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("riffle apps describe %s: %v\n%s", name, err, out)
	}
	return d.ApplicationDetail
}

// arnsOf lists the destinations of an application's outputs as
// "NAME FORMAT ARN".
func outputsOf(d map[string]any) []string {
	var got []string
	for _, o := range d["OutputDescriptions"].([]any) {
		o := o.(map[string]any)
		for _, key := range []string{"KinesisStreamsOutputDescription", "KinesisFirehoseOutputDescription", "LambdaOutputDescription"} {
			if dest, ok := o[key].(map[string]any); ok {
				got = append(got, fmt.Sprintf("%s %s %s", o["Name"], o["DestinationSchema"].(map[string]any)["RecordFormatType"], dest["ResourceARN"]))
			}
		}
	}
	return got
}

// TestImportTemplatesAndDescriptions imports the test data's templates and
// describe-application output into a riffle serve with riffle apps
// import: a dry run creates nothing; an application whose output cannot be
// added is deleted again; then both templates' applications are created
// and riffle apps describe shows their inputs, outputs and reference data
// as the templates declare them; a second run leaves them alone; the
// running application of describe-application output starts with --start.
func TestImportTemplatesAndDescriptions(t *testing.T) {
	fn := lambdatest.New(t)
	dir := t.TempDir()
	// The reference data the IoT template and the describe output name,
	// in the server's buckets directory.
	for path, rows := range map[string]string{
		"acme-iot/registry/devices.csv":    "sensor-1,TH-100,70.5\nsensor-2,TH-200,80\n",
		"acme-reference/stores/stores.csv": "1,north\n2,south\n",
	} {
		full := filepath.Join(dir, "buckets", path)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(rows), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The describe output's account (123456789012, eu-west-1) is not the
	// server's: its output stream order-scores is on "AWS", here a second
	// riffle serve.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	aws := startServer(t, t.TempDir())
	if _, err := call(aws.url, "Kinesis_20131202.CreateStream", map[string]any{"StreamName": "order-scores", "ShardCount": 1}); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, dir, "--function", "MetricsFunction="+fn.URL, "--function", "iot-monitoring-store-metrics="+fn.URL, "--function", "page-on-call="+fn.URL,
		"--aws-endpoint", "kinesis="+aws.url)
	for _, s := range []struct{ kind, name string }{
		{"kinesis", "web-analytics-beacons"}, {"firehose", "web-analytics-archive-dev"}, {"kinesis", "web-analytics-debug"},
		{"firehose", "iot-monitoring-telemetry"}, {"kinesis", "device-alerts"},
		{"firehose", "orders"},
	} {
		var err error
		if s.kind == "kinesis" {
			_, err = call(srv.url, "Kinesis_20131202.CreateStream", map[string]any{"StreamName": s.name, "ShardCount": 1})
		} else {
			_, err = call(srv.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": s.name})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	importApps := func(args ...string) (string, error) {
		t.Helper()
		out, _, err := runRiffle(t, append([]string{"apps", "import", "--server", srv.url}, args...)...)
		return out, err
	}
	list := func() string {
		t.Helper()
		out, _, err := runRiffle(t, "apps", "list", "--server", srv.url)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	web, iot := definition("web-analytics.yaml"), definition("iot-monitoring.json")
	iotParams := []string{"--parameter", "ReferenceBucket=acme-iot", "--parameter", "AlertStreamArn=arn:aws:kinesis:us-east-1:000000000000:stream/device-alerts"}

	// A dry run without the IoT template's parameters: it says what it
	// cannot resolve, fails, and creates nothing.
	out, err := importApps("--dry-run", web, iot)
	if err == nil || !strings.Contains(err.Error(), "1 applications not imported") {
		t.Fatalf("dry run without parameters: %v\n%s", err, out)
	}
	for _, want := range []string{
		"application web-analytics-web-metrics (from " + web,
		"cannot import: DeviceRegistry.ReferenceDataSource.S3ReferenceDataSource.BucketARN: cannot resolve ${ReferenceBucket}: parameter ReferenceBucket has no Default: give --parameter ReferenceBucket=VALUE",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("dry run: no %q in\n%s", want, out)
		}
	}
	if got := list(); strings.Count(got, "\n") != 1 {
		t.Fatalf("applications after a dry run:\n%s", got)
	}

	// In production the archive is another delivery stream, which the
	// server lacks: the output is refused and the application deleted.
	out, err = importApps(web, "--parameter", "Environment=prod")
	if err == nil || !strings.Contains(out, "result: not imported: output SCORED_EVENTS: AddApplicationOutput: InvalidArgumentException") || !strings.Contains(out, "web-analytics-archive-prod does not exist on this server") {
		t.Fatalf("import with a missing output stream: %v\n%s", err, out)
	}
	if got := list(); strings.Contains(got, "web-analytics") {
		t.Fatalf("the incomplete application is still there:\n%s", got)
	}

	out, err = importApps(append([]string{web, iot}, iotParams...)...)
	if err != nil || strings.Count(out, "result: created\n") != 2 {
		t.Fatalf("import: %v\n%s", err, out)
	}
	d := describeApp(t, srv.url, "web-analytics-web-metrics")
	code, _ := os.ReadFile(definition("web-analytics.yaml"))
	if d["ApplicationStatus"] != "READY" || d["ApplicationDescription"] != "Web metrics (dev)" || !strings.Contains(string(code), strings.Split(d["ApplicationCode"].(string), "\n")[0]) {
		t.Fatalf("web-analytics-web-metrics: %v", d)
	}
	in := d["InputDescriptions"].([]any)[0].(map[string]any)
	if in["NamePrefix"] != "WEB_EVENTS" || in["KinesisStreamsInputDescription"].(map[string]any)["ResourceARN"] != "arn:aws:kinesis:us-east-1:000000000000:stream/web-analytics-beacons" ||
		len(in["InputSchema"].(map[string]any)["RecordColumns"].([]any)) != 5 {
		t.Fatalf("web-analytics-web-metrics input: %v", in)
	}
	want := []string{
		"SCORED_EVENTS CSV arn:aws:firehose:us-east-1:000000000000:deliverystream/web-analytics-archive-dev",
		"SCORED_EVENTS JSON arn:aws:kinesis:us-east-1:000000000000:stream/web-analytics-debug",
		"METRIC_STREAM JSON arn:aws:lambda:us-east-1:000000000000:function:MetricsFunction",
	}
	if got := outputsOf(d); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("web-analytics-web-metrics outputs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	d = describeApp(t, srv.url, "iot-monitoring-device-monitor")
	in = d["InputDescriptions"].([]any)[0].(map[string]any)
	if in["KinesisFirehoseInputDescription"].(map[string]any)["ResourceARN"] != "arn:aws:firehose:us-east-1:000000000000:deliverystream/iot-monitoring-telemetry" ||
		!strings.Contains(d["ApplicationCode"].(string), `JOIN "DEVICE_REGISTRY"`) {
		t.Fatalf("iot-monitoring-device-monitor: %v", d)
	}
	want = []string{
		"ALERTS JSON arn:aws:kinesis:us-east-1:000000000000:stream/device-alerts",
		"DEVICE_METRICS JSON arn:aws:lambda:us-east-1:000000000000:function:iot-monitoring-store-metrics",
	}
	if got := outputsOf(d); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("iot-monitoring-device-monitor outputs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	refs := d["ReferenceDataSourceDescriptions"].([]any)
	if len(refs) != 1 || refs[0].(map[string]any)["TableName"] != "DEVICE_REGISTRY" ||
		refs[0].(map[string]any)["S3ReferenceDataSourceDescription"].(map[string]any)["FileKey"] != "registry/devices.csv" {
		t.Fatalf("iot-monitoring-device-monitor reference data: %v", refs)
	}

	// A second run leaves what exists alone.
	out, err = importApps(append([]string{iot}, iotParams...)...)
	if err != nil || !strings.Contains(out, "result: exists on the server: left unchanged") {
		t.Fatalf("second import: %v\n%s", err, out)
	}

	// describe-application output of a running application: its
	// preprocessor is reported, and --start starts it.
	out, err = importApps(definition("describe-application.json"), "--start")
	if err != nil || !strings.Contains(out, "not mapped: InputDescriptions[0].InputProcessingConfigurationDescription: Riffle has no input preprocessing") ||
		!strings.Contains(out, "result: created and started") {
		t.Fatalf("import of describe-application output: %v\n%s", err, out)
	}
	if got := list(); !regexp.MustCompile(`(?m)^order-anomalies\s+RUNNING\s`).MatchString(got) {
		t.Fatalf("list:\n%s", got)
	}
	d = describeApp(t, srv.url, "order-anomalies")
	want = []string{
		"ORDER_TOTALS JSON arn:aws:kinesis:eu-west-1:123456789012:stream/order-scores",
		"ORDER_TOTALS CSV arn:aws:lambda:eu-west-1:123456789012:function:page-on-call:live",
	}
	if got := outputsOf(d); strings.Join(got, "\n") != strings.Join(want, "\n") || len(d["ReferenceDataSourceDescriptions"].([]any)) != 1 {
		t.Fatalf("order-anomalies: %v", d)
	}
}

// TestImportFromAnotherServer moves a running application from one riffle
// serve to another with --from-endpoint: the copy has the same code,
// input, file output, settle wait and tags, starts with --start, and writes the rows
// of records sent to the new server.
func TestImportFromAnotherServer(t *testing.T) {
	src, dst := startServer(t, t.TempDir()), startServer(t, t.TempDir())
	for _, s := range []*serverProcess{src, dst} {
		if _, err := call(s.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "lab"}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	code, schema := filepath.Join(dir, "app.sql"), filepath.Join(dir, "schema.json")
	os.WriteFile(code, []byte(`CREATE STREAM "DESTINATION_SQL_STREAM" (action VARCHAR(32));
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM "browseraction" FROM "SOURCE_SQL_STREAM_001";`), 0o644)
	os.WriteFile(schema, []byte(`{"RecordFormat":{"RecordFormatType":"JSON","MappingParameters":{"JSONMappingParameters":{"RecordRowPath":"$"}}},
"RecordColumns":[{"Name":"browseraction","SqlType":"VARCHAR(32)","Mapping":"$.browseraction"}]}`), 0o644)
	for _, args := range [][]string{
		{"create", "lab", "--code", code, "--firehose", "lab", "--schema", schema, "--description", "the lab", "--settle", "250ms"},
		{"add-output", "lab", "--file", "out/rows.json"},
		{"start", "lab"},
	} {
		if _, _, err := runRiffle(t, append(append([]string{"apps"}, args...), "--server", src.url)...); err != nil {
			t.Fatalf("riffle apps %v: %v", args, err)
		}
	}
	if _, err := call(src.url, "KinesisAnalytics_20150814.TagResource", map[string]any{
		"ResourceARN": "arn:aws:kinesisanalytics:us-east-1:000000000000:application/lab", "Tags": []map[string]string{{"Key": "team", "Value": "growth"}}}); err != nil {
		t.Fatal(err)
	}

	out, _, err := runRiffle(t, "apps", "import", "--from-endpoint", src.url, "--server", dst.url, "--dry-run")
	if err != nil || !strings.Contains(out, "then add output DESTINATION_SQL_STREAM: file out/rows.json (Riffle's FileOutput) (JSON)") || !strings.Contains(out, "tags: team=growth") ||
		!strings.Contains(out, "settle wait: 250 ms (Riffle's)") || strings.Contains(out, "not mapped") {
		t.Fatalf("dry run from %s: %v\n%s", src.url, err, out)
	}
	out, _, err = runRiffle(t, "apps", "import", "--from-endpoint", src.url, "lab", "--server", dst.url, "--start")
	if err != nil || !strings.Contains(out, "result: created and started") {
		t.Fatalf("import from %s: %v\n%s", src.url, err, out)
	}
	a, b := describeApp(t, src.url, "lab"), describeApp(t, dst.url, "lab")
	for _, key := range []string{"ApplicationCode", "ApplicationDescription", "ApplicationStatus", "RiffleSettleMillis"} {
		if a[key] != b[key] {
			t.Fatalf("%s: %v on the source, %v on the copy", key, a[key], b[key])
		}
	}
	ain, _ := json.Marshal(a["InputDescriptions"].([]any)[0].(map[string]any)["InputSchema"])
	bin, _ := json.Marshal(b["InputDescriptions"].([]any)[0].(map[string]any)["InputSchema"])
	if string(ain) != string(bin) {
		t.Fatalf("input schema: %s on the source, %s on the copy", ain, bin)
	}
	if path := b["OutputDescriptions"].([]any)[0].(map[string]any)["FileOutputDescription"].(map[string]any)["Path"]; path != "out/rows.json" {
		t.Fatalf("the copy's output: %v", b["OutputDescriptions"])
	}
	tags, err := call(dst.url, "KinesisAnalytics_20150814.ListTagsForResource", map[string]any{"ResourceARN": "arn:aws:kinesisanalytics:us-east-1:000000000000:application/lab"})
	if err != nil || fmt.Sprint(tags["Tags"]) != "[map[Key:team Value:growth]]" {
		t.Fatalf("the copy's tags: %v %v", tags, err)
	}

	click := base64.StdEncoding.EncodeToString([]byte(`{"browseraction":"Click"}` + "\n"))
	if _, err := call(dst.url, "Firehose_20150804.PutRecord", map[string]any{"DeliveryStreamName": "lab", "Record": map[string]string{"Data": click}}); err != nil {
		t.Fatal(err)
	}
	rows := filepath.Join(dst.dir, "outputs", "out", "rows.json")
	poll.Until(t, 30*time.Second, func() (bool, string) {
		data, _ := os.ReadFile(rows)
		return string(data) == `{"ACTION":"Click"}`+"\n", fmt.Sprintf("%s holds %q", rows, data)
	})
}
