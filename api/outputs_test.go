package api_test

import (
	"net"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/lambdatest"
)

func functions(names ...string) map[string]destination.Function {
	fs := map[string]destination.Function{}
	for _, n := range names {
		fs[n] = lambdatest.Accepting{}
	}
	return fs
}

// TestBadOutputsAreRefusedWithAClearMessage: an output that could never
// deliver is refused when it is configured, with the service's error type
// and a message that says what is wrong.
func TestBadOutputsAreRefusedWithAClearMessage(t *testing.T) {
	url := serverWith(t, app.Options{Functions: functions("notify"), OutputDir: t.TempDir()})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/invoke"
	ln.Close() // nothing listens there now
	if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"a","ApplicationCode":"`+code+`",`+input+`}`); status != 200 {
		t.Fatalf("create: %v", out)
	}
	add := func(output string) (int, map[string]any) {
		return call(t, url, "AddApplicationOutput", `{"ApplicationName":"a","CurrentApplicationVersionId":1,"Output":`+output+`}`)
	}
	lambda := func(arn string) string {
		return `{"Name":"OUT","LambdaOutput":{"ResourceARN":"` + arn + `"},"DestinationSchema":{"RecordFormatType":"JSON"}}`
	}
	for _, c := range []struct{ name, output, kind, message string }{
		{"unknown function", lambda("arn:aws:lambda:us-east-1:000000000000:function:missing"), "InvalidArgumentException", `no function "missing"`},
		{"not a function ARN", lambda("arn:aws:sns:us-east-1:000000000000:topic"), "InvalidArgumentException", "neither a Lambda function ARN nor an http(s) URL"},
		{"URL without a host", lambda("http:///invoke"), "InvalidArgumentException", "want an absolute http or https URL"},
		{"unreachable URL", lambda(dead), "InvalidArgumentException", "cannot reach " + dead},
		{"unknown delivery stream", `{"Name":"OUT","KinesisFirehoseOutput":{"ResourceARN":"arn:aws:firehose:us-east-1:000000000000:deliverystream/nope"},"DestinationSchema":{"RecordFormatType":"JSON"}}`, "InvalidArgumentException", "delivery stream nope does not exist"},
		{"unknown data stream", `{"Name":"OUT","KinesisStreamsOutput":{"ResourceARN":"arn:aws:kinesis:us-east-1:000000000000:stream/nope"},"DestinationSchema":{"RecordFormatType":"CSV"}}`, "InvalidArgumentException", "data stream nope does not exist"},
		{"a delivery stream as a data stream", `{"Name":"OUT","KinesisStreamsOutput":{"ResourceARN":"arn:aws:firehose:us-east-1:000000000000:deliverystream/in"},"DestinationSchema":{"RecordFormatType":"CSV"}}`, "InvalidArgumentException", "is not a Kinesis stream"},
		{"unknown format", `{"Name":"OUT","LambdaOutput":{"ResourceARN":"arn:aws:lambda:us-east-1:000000000000:function:notify"},"DestinationSchema":{"RecordFormatType":"XML"}}`, "ValidationException", "enum value set: [JSON, CSV]"},
		{"no format", `{"Name":"OUT","LambdaOutput":{"ResourceARN":"arn:aws:lambda:us-east-1:000000000000:function:notify"}}`, "ValidationException", "destinationSchema"},
		{"unknown in-application stream", `{"Name":"NOWHERE","LambdaOutput":{"ResourceARN":"arn:aws:lambda:us-east-1:000000000000:function:notify"},"DestinationSchema":{"RecordFormatType":"JSON"}}`, "InvalidArgumentException", "NOWHERE names no in-application stream"},
		{"two destinations", `{"Name":"OUT","LambdaOutput":{"ResourceARN":"arn:aws:lambda:us-east-1:000000000000:function:notify"},"FileOutput":{"Path":"out.json"},"DestinationSchema":{"RecordFormatType":"JSON"}}`, "InvalidArgumentException", "exactly one destination"},
		{"the application's own input", `{"Name":"OUT","KinesisFirehoseOutput":{"ResourceARN":"arn:aws:firehose:us-east-1:000000000000:deliverystream/in"},"DestinationSchema":{"RecordFormatType":"JSON"}}`, "InvalidArgumentException", "the application's own input"},
		{"a file outside the output directory", `{"Name":"OUT","FileOutput":{"Path":"../etc/passwd"},"DestinationSchema":{"RecordFormatType":"JSON"}}`, "InvalidArgumentException", "not a relative path inside the output directory"},
	} {
		status, out := add(c.output)
		msg, _ := out["message"].(string)
		if status != 400 || out["__type"] != c.kind || !strings.Contains(msg, c.message) {
			t.Errorf("%s: %d %v, want %s saying %q", c.name, status, out, c.kind, c.message)
		}
	}
	// A function named with a qualifier is taken; the description has the
	// service's shape.
	if status, out := add(lambda("arn:aws:lambda:us-east-1:000000000000:function:notify:$LATEST")); status != 200 {
		t.Fatalf("add: %v", out)
	}
	_, d := call(t, url, "DescribeApplication", `{"ApplicationName":"a"}`)
	out := d["ApplicationDetail"].(map[string]any)["OutputDescriptions"].([]any)[0].(map[string]any)
	if out["LambdaOutputDescription"].(map[string]any)["ResourceARN"] != "arn:aws:lambda:us-east-1:000000000000:function:notify:$LATEST" ||
		out["DestinationSchema"].(map[string]any)["RecordFormatType"] != "JSON" || out["LambdaOutput"] != nil {
		t.Errorf("description: %v", out)
	}
}
