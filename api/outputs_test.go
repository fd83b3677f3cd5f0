package api_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/lambdatest"
	"github.com/riffle-sql/riffle/internal/safedial"
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
	url := serverWith(t, app.Options{Functions: functions("notify"), OutputDir: t.TempDir(), AllowPrivateURLs: true})
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
		{"unreachable URL", lambda(dead), "InvalidArgumentException", dead + ": " + safedial.ErrUnusable.Error()}, // the cause in the log only
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

// TestAFunctionURLsSecretsStayOutOfDescribeApplication: a Lambda output
// given as a URL with a password and a token is described without them;
// an update that gives the described URL back (as the console does when
// only the format changes) keeps the function as it was.
func TestAFunctionURLsSecretsStayOutOfDescribeApplication(t *testing.T) {
	tokens := make(chan string, 100)
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e struct{ Records []struct{ RecordID string } }
		json.NewDecoder(r.Body).Decode(&e)
		if len(e.Records) > 0 {
			tokens <- r.URL.Query().Get("token")
		}
		var results []map[string]string
		for _, rec := range e.Records {
			results = append(results, map[string]string{"recordId": rec.RecordID, "result": "Ok"})
		}
		json.NewEncoder(w).Encode(map[string]any{"records": results})
	}))
	defer fn.Close()
	url := serverWith(t, app.Options{AllowPrivateURLs: true})
	secret := strings.Replace(fn.URL, "http://", "http://alice:hunter2@", 1) + "/invoke?token=s3cr3t"
	if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"a","ApplicationCode":"`+code+`",`+input+`,
		"Outputs":[{"Name":"OUT","LambdaOutput":{"ResourceARN":"`+secret+`"},"DestinationSchema":{"RecordFormatType":"JSON"}}]}`); status != 200 {
		t.Fatalf("create: %v", out)
	}
	describe := func() (string, map[string]any) {
		_, out := call(t, url, "DescribeApplication", `{"ApplicationName":"a"}`)
		body, _ := json.Marshal(out)
		detail := out["ApplicationDetail"].(map[string]any)
		return string(body), detail["OutputDescriptions"].([]any)[0].(map[string]any)
	}
	body, output := describe()
	if strings.Contains(body, "s3cr3t") || strings.Contains(body, "hunter2") {
		t.Fatalf("DescribeApplication shows a secret: %s", body)
	}
	shown := output["LambdaOutputDescription"].(map[string]any)["ResourceARN"].(string)
	if status, out := call(t, url, "UpdateApplication", `{"ApplicationName":"a","CurrentApplicationVersionId":1,"ApplicationUpdate":{"OutputUpdates":[{"OutputId":"`+output["OutputId"].(string)+`",
		"LambdaOutputUpdate":{"ResourceARNUpdate":"`+shown+`"},"DestinationSchemaUpdate":{"RecordFormatType":"CSV"}}]}}`); status != 200 {
		t.Fatalf("update with the described URL: %v", out)
	}
	// The stored URL still carries its token: a row delivered reaches the
	// function with it.
	if status, out := call(t, url, "StartApplication", `{"ApplicationName":"a","InputConfigurations":[{"Id":"1.1","InputStartingPositionConfiguration":{"InputStartingPosition":"NOW"}}]}`); status != 200 {
		t.Fatalf("start: %v", out)
	}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"DeliveryStreamName":"in","Record":{"Data":"eyJ2IjoxfQ=="}}`))
	req.Header.Set("X-Amz-Target", "Firehose_20150804.PutRecord")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/firehose/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case token := <-tokens:
		if token != "s3cr3t" {
			t.Fatalf("the function was reached with token %q, want the stored s3cr3t", token)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no row reached the function")
	}
}
