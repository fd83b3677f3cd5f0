package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/api"
	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// serverWith starts the server with the application options; every
// test's application reads delivery stream "in".
func serverWith(t *testing.T, opts app.Options) string {
	t.Helper()
	srv := servertest.Start(t, server.Config{Apps: opts})
	streamlogtest.Create(t, srv.Log, streamlogtest.Stream{Name: "in", Kind: "firehose", Shards: 1})
	return srv.URL
}

func call(t *testing.T, url, op, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
	req.Header.Set("X-Amz-Target", api.Target+"."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/kinesisanalytics/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

const input = `"Inputs":[{"NamePrefix":"SOURCE_SQL_STREAM","KinesisFirehoseInput":{"ResourceARN":"arn:aws:firehose:us-east-1:000000000000:deliverystream/in"},
"InputSchema":{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[{"Name":"v","SqlType":"INTEGER","Mapping":"$.v"}]}}]`

const code = `CREATE STREAM \"OUT\" (v INTEGER); CREATE PUMP p AS INSERT INTO \"OUT\" SELECT STREAM \"v\" FROM \"SOURCE_SQL_STREAM_001\";`

func TestBadRequestsGetTheServicesErrorsAndChangeNothing(t *testing.T) {
	url := serverWith(t, app.Options{})
	if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"a","ApplicationCode":"`+code+`",`+input+`}`); status != 200 {
		t.Fatalf("create: %v", out)
	}
	for _, c := range []struct{ name, op, body, kind string }{
		{"unknown application", "DescribeApplication", `{"ApplicationName":"nope"}`, "ResourceNotFoundException"},
		{"no name", "StartApplication", `{}`, "InvalidArgumentException"},
		{"bad SQL", "CreateApplication", `{"ApplicationName":"b","ApplicationCode":"CREATE STREAM x (a WIDGET);",` + input + `}`, "CodeValidationException"},
		{"output to a missing stream", "CreateApplication", `{"ApplicationName":"c","ApplicationCode":"` + code + `",` + input + `,"Outputs":[{"Name":"NOWHERE","DestinationSchema":{"RecordFormatType":"JSON"}}]}`, "InvalidArgumentException"},
		{"stop while ready", "StopApplication", `{"ApplicationName":"a"}`, "ResourceInUseException"},
		{"wrong version", "UpdateApplication", `{"ApplicationName":"a","CurrentApplicationVersionId":9,"ApplicationUpdate":{"ApplicationCodeUpdate":"` + code + `"}}`, "ConcurrentModificationException"},
		{"same name", "CreateApplication", `{"ApplicationName":"a","ApplicationCode":"` + code + `",` + input + `}`, "ResourceInUseException"},
		{"malformed", "CreateApplication", `{`, "SerializationException"},
		{"input parallelism 65", "CreateApplication", `{"ApplicationName":"p","ApplicationCode":"` + code + `",` + strings.Replace(input, `"NamePrefix"`, `"InputParallelism":{"Count":65},"NamePrefix"`, 1) + `}`, "InvalidArgumentException"},
	} {
		status, out := call(t, url, c.op, c.body)
		if status != 400 || out["__type"] != c.kind {
			t.Errorf("%s: %d %v, want %s", c.name, status, out, c.kind)
		}
	}
	if _, out := call(t, url, "StartApplication", `{"ApplicationName":"a","InputConfigurations":[{"Id":"1.1","InputStartingPositionConfiguration":{"InputStartingPosition":"NOW"}}]}`); out["__type"] != nil {
		t.Fatalf("start: %v", out)
	}
	if status, out := call(t, url, "StartApplication", `{"ApplicationName":"a"}`); status != 400 || out["__type"] != "ResourceInUseException" {
		t.Errorf("start while running: %d %v", status, out)
	}
	_, list := call(t, url, "ListApplications", `{}`)
	apps := list["ApplicationSummaries"].([]any)
	if len(apps) != 1 || apps[0].(map[string]any)["ApplicationStatus"] != "RUNNING" {
		t.Fatalf("applications: %v", apps)
	}
	_, desc := call(t, url, "DescribeApplication", `{"ApplicationName":"a"}`)
	if v := desc["ApplicationDetail"].(map[string]any)["ApplicationVersionId"]; v != float64(1) {
		t.Fatalf("refused calls changed the version to %v", v)
	}
}

// TestOutputsInputsAndTags: outputs are added and deleted by version and
// id, an application created without input gets one, and tags are set,
// listed and removed without changing the version.
func TestOutputsInputsAndTags(t *testing.T) {
	url := serverWith(t, app.Options{Functions: functions("f")})
	ok := func(op, body string) map[string]any {
		t.Helper()
		status, out := call(t, url, op, body)
		if status != 200 {
			t.Fatalf("%s: %d %v", op, status, out)
		}
		return out
	}
	refused := func(op, body, kind string) {
		t.Helper()
		if status, out := call(t, url, op, body); status != 400 || out["__type"] != kind {
			t.Fatalf("%s: %d %v, want %s", op, status, out, kind)
		}
	}
	detail := func() map[string]any {
		return ok("DescribeApplication", `{"ApplicationName":"a"}`)["ApplicationDetail"].(map[string]any)
	}
	ok("CreateApplication", `{"ApplicationName":"a","ApplicationCode":"`+code+`","Tags":[{"Key":"team","Value":"web"}]}`)
	in := strings.TrimSuffix(strings.TrimPrefix(input, `"Inputs":[`), `]`)
	refused("AddApplicationInput", `{"ApplicationName":"a","CurrentApplicationVersionId":2,"Input":`+in+`}`, "ConcurrentModificationException")
	ok("AddApplicationInput", `{"ApplicationName":"a","CurrentApplicationVersionId":1,"Input":`+in+`}`)
	refused("AddApplicationInput", `{"ApplicationName":"a","CurrentApplicationVersionId":2,"Input":`+in+`}`, "InvalidArgumentException")
	if d := detail(); d["ApplicationVersionId"] != float64(2) || len(d["InputDescriptions"].([]any)) != 1 {
		t.Fatalf("after AddApplicationInput: %v", d)
	}
	refused("AddApplicationOutput", `{"ApplicationName":"a","CurrentApplicationVersionId":2,"Output":{"Name":"NOWHERE","LambdaOutput":{"ResourceARN":"arn:aws:lambda:us-east-1:000000000000:function:f"},"DestinationSchema":{"RecordFormatType":"JSON"}}}`, "InvalidArgumentException")
	ok("AddApplicationOutput", `{"ApplicationName":"a","CurrentApplicationVersionId":2,"Output":{"Name":"OUT","LambdaOutput":{"ResourceARN":"arn:aws:lambda:us-east-1:000000000000:function:f"},"DestinationSchema":{"RecordFormatType":"JSON"}}}`)
	outs := detail()["OutputDescriptions"].([]any)
	if len(outs) != 1 || outs[0].(map[string]any)["Name"] != "OUT" || outs[0].(map[string]any)["OutputId"] != "3.1" {
		t.Fatalf("outputs: %v", outs)
	}
	refused("DeleteApplicationOutput", `{"ApplicationName":"a","CurrentApplicationVersionId":3,"OutputId":"9.9"}`, "ResourceNotFoundException")
	ok("DeleteApplicationOutput", `{"ApplicationName":"a","CurrentApplicationVersionId":3,"OutputId":"3.1"}`)
	if d := detail(); d["ApplicationVersionId"] != float64(4) || len(d["OutputDescriptions"].([]any)) != 0 {
		t.Fatalf("after DeleteApplicationOutput: %v", d)
	}

	arn := `"arn:aws:kinesisanalytics:us-east-1:000000000000:application/a"`
	ok("TagResource", `{"ResourceARN":`+arn+`,"Tags":[{"Key":"env","Value":"lab"}]}`)
	ok("UntagResource", `{"ResourceARN":`+arn+`,"TagKeys":["team"]}`)
	tags, _ := json.Marshal(ok("ListTagsForResource", `{"ResourceARN":`+arn+`}`)["Tags"])
	if string(tags) != `[{"Key":"env","Value":"lab"}]` {
		t.Fatalf("tags: %s", tags)
	}
	var many []string
	for i := range 50 {
		many = append(many, `{"Key":"k`+strings.Repeat("x", i)+`","Value":""}`)
	}
	refused("TagResource", `{"ResourceARN":`+arn+`,"Tags":[`+strings.Join(many, ",")+`]}`, "TooManyTagsException")
	refused("ListTagsForResource", `{"ResourceARN":"arn:aws:kinesisanalytics:us-east-1:000000000000:application/nope"}`, "ResourceNotFoundException")
	if v := detail()["ApplicationVersionId"]; v != float64(4) {
		t.Fatalf("tags changed the version to %v", v)
	}
}

// TestReferenceDataSourceAPI: an S3 location maps to the buckets
// directory; the source shows in the description and is deleted by id.
func TestReferenceDataSourceAPI(t *testing.T) {
	buckets := t.TempDir()
	os.MkdirAll(filepath.Join(buckets, "b"), 0o755)
	os.WriteFile(filepath.Join(buckets, "b", "t.json"), []byte(`{"k":"x","v":1}`+"\n"), 0o644)
	url := serverWith(t, app.Options{Buckets: buckets})
	if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"a","ApplicationCode":"`+code+`",`+input+`}`); status != 200 {
		t.Fatalf("create: %v", out)
	}
	src := func(key string) string {
		return `{"ApplicationName":"a","CurrentApplicationVersionId":1,"ReferenceDataSource":{"TableName":"T","S3ReferenceDataSource":{"BucketARN":"arn:aws:s3:::b","FileKey":"` + key + `","ReferenceRoleARN":"arn:aws:iam::000000000000:role/r"},
"ReferenceSchema":{"RecordFormat":{"RecordFormatType":"JSON","MappingParameters":{"JSONMappingParameters":{"RecordRowPath":"$"}}},"RecordColumns":[{"Name":"k","SqlType":"VARCHAR(8)","Mapping":"$.k"},{"Name":"v","SqlType":"INTEGER","Mapping":"$.v"}]}}}`
	}
	if status, out := call(t, url, "AddApplicationReferenceDataSource", src("missing.json")); status != 400 || out["__type"] != "InvalidArgumentException" {
		t.Fatalf("missing file: %d %v", status, out)
	}
	if status, out := call(t, url, "AddApplicationReferenceDataSource", src("t.json")); status != 200 {
		t.Fatalf("add: %v", out)
	}
	_, desc := call(t, url, "DescribeApplication", `{"ApplicationName":"a"}`)
	refs := desc["ApplicationDetail"].(map[string]any)["ReferenceDataSourceDescriptions"].([]any)
	if len(refs) != 1 {
		t.Fatalf("references: %v", refs)
	}
	ref := refs[0].(map[string]any)
	if ref["TableName"] != "T" || ref["ReferenceId"] != "2.1" || ref["S3ReferenceDataSourceDescription"].(map[string]any)["FileKey"] != "t.json" {
		t.Fatalf("reference: %v", ref)
	}
	if status, out := call(t, url, "DeleteApplicationReferenceDataSource", `{"ApplicationName":"a","CurrentApplicationVersionId":2,"ReferenceId":"2.1"}`); status != 200 {
		t.Fatalf("delete: %v", out)
	}
}

// TestUpdateApplicationChangesInputsOutputsAndReferencesTogether: one
// UpdateApplication renames the input stream and changes the code that
// reads it, retargets an output and points the reference at another file;
// a rename without the code, or an unknown id, is refused and changes
// nothing.
func TestUpdateApplicationChangesInputsOutputsAndReferencesTogether(t *testing.T) {
	buckets := t.TempDir()
	os.MkdirAll(filepath.Join(buckets, "b"), 0o755)
	for _, f := range []string{"t.json", "t2.json"} {
		os.WriteFile(filepath.Join(buckets, "b", f), []byte(`{"k":"x","v":1}`+"\n"), 0o644)
	}
	url := serverWith(t, app.Options{Buckets: buckets, Functions: functions("old", "new")})
	ok := func(op, body string) map[string]any {
		t.Helper()
		status, out := call(t, url, op, body)
		if status != 200 {
			t.Fatalf("%s: %d %v", op, status, out)
		}
		return out
	}
	ok("CreateApplication", `{"ApplicationName":"a","ApplicationCode":"`+code+`",`+input+`}`)
	ok("AddApplicationOutput", `{"ApplicationName":"a","CurrentApplicationVersionId":1,"Output":{"Name":"OUT","LambdaOutput":{"ResourceARN":"arn:aws:lambda:us-east-1:000000000000:function:old"},"DestinationSchema":{"RecordFormatType":"JSON"}}}`)
	ok("AddApplicationReferenceDataSource", `{"ApplicationName":"a","CurrentApplicationVersionId":2,"ReferenceDataSource":{"TableName":"T","S3ReferenceDataSource":{"BucketARN":"arn:aws:s3:::b","FileKey":"t.json"},
"ReferenceSchema":{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[{"Name":"k","SqlType":"VARCHAR(8)","Mapping":"$.k"}]}}}`)
	renamed := strings.ReplaceAll(code, "SOURCE_SQL_STREAM_001", "SRC_001")
	for _, c := range []struct{ name, update, kind string }{
		{"rename without the code", `{"InputUpdates":[{"InputId":"1.1","NamePrefixUpdate":"SRC"}]}`, "CodeValidationException"},
		{"unknown output", `{"OutputUpdates":[{"OutputId":"9.9","NameUpdate":"OUT"}]}`, "ResourceNotFoundException"},
		{"missing file", `{"ReferenceDataSourceUpdates":[{"ReferenceId":"3.1","S3ReferenceDataSourceUpdate":{"FileKeyUpdate":"nope.json"}}]}`, "InvalidArgumentException"},
		{"nothing", `{}`, "InvalidArgumentException"},
	} {
		status, out := call(t, url, "UpdateApplication", `{"ApplicationName":"a","CurrentApplicationVersionId":3,"ApplicationUpdate":`+c.update+`}`)
		if status != 400 || out["__type"] != c.kind {
			t.Fatalf("%s: %d %v, want %s", c.name, status, out, c.kind)
		}
	}
	ok("UpdateApplication", `{"ApplicationName":"a","CurrentApplicationVersionId":3,"ApplicationUpdate":{"ApplicationCodeUpdate":"`+renamed+`",
"InputUpdates":[{"InputId":"1.1","NamePrefixUpdate":"SRC"}],
"OutputUpdates":[{"OutputId":"2.1","LambdaOutputUpdate":{"ResourceARNUpdate":"arn:aws:lambda:us-east-1:000000000000:function:new"}}],
"ReferenceDataSourceUpdates":[{"ReferenceId":"3.1","S3ReferenceDataSourceUpdate":{"FileKeyUpdate":"t2.json"}}]}}`)
	d := ok("DescribeApplication", `{"ApplicationName":"a"}`)["ApplicationDetail"].(map[string]any)
	in := d["InputDescriptions"].([]any)[0].(map[string]any)
	out := d["OutputDescriptions"].([]any)[0].(map[string]any)
	ref := d["ReferenceDataSourceDescriptions"].([]any)[0].(map[string]any)
	if d["ApplicationVersionId"] != float64(4) || in["NamePrefix"] != "SRC" ||
		out["LambdaOutputDescription"].(map[string]any)["ResourceARN"] != "arn:aws:lambda:us-east-1:000000000000:function:new" ||
		ref["S3ReferenceDataSourceDescription"].(map[string]any)["FileKey"] != "t2.json" {
		t.Fatalf("after the update: %v", d)
	}
}

// TestTheSettleWaitIsRifflesFieldOfTheShapes: RiffleSettleMillis sets the
// settle wait on create and (as RiffleSettleMillisUpdate) on update, alone
// or with other changes; describe shows the wait in force (the default
// when none is set); a wait out of bounds is refused and changes nothing.
func TestTheSettleWaitIsRifflesFieldOfTheShapes(t *testing.T) {
	url := serverWith(t, app.Options{})
	settle := func(name string) any {
		t.Helper()
		_, desc := call(t, url, "DescribeApplication", `{"ApplicationName":"`+name+`"}`)
		return desc["ApplicationDetail"].(map[string]any)["RiffleSettleMillis"]
	}
	if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"a","ApplicationCode":"`+code+`",`+input+`}`); status != 200 {
		t.Fatalf("create: %v", out)
	}
	if got := settle("a"); got != float64(500) {
		t.Fatalf("default settle %v, want 500", got)
	}
	if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"b","RiffleSettleMillis":200,"ApplicationCode":"`+code+`",`+input+`}`); status != 200 {
		t.Fatalf("create: %v", out)
	}
	if got := settle("b"); got != float64(200) {
		t.Fatalf("settle %v, want 200", got)
	}
	if _, out := call(t, url, "UpdateApplication", `{"ApplicationName":"b","CurrentApplicationVersionId":1,"ApplicationUpdate":{"RiffleSettleMillisUpdate":50}}`); out["__type"] != nil {
		t.Fatalf("update: %v", out)
	}
	if got := settle("b"); got != float64(50) {
		t.Fatalf("settle %v after the update, want 50", got)
	}
	for _, c := range []struct{ name, op, body string }{
		{"negative", "CreateApplication", `{"ApplicationName":"c","RiffleSettleMillis":-1,"ApplicationCode":"` + code + `",` + input + `}`},
		{"over a minute", "UpdateApplication", `{"ApplicationName":"b","CurrentApplicationVersionId":2,"ApplicationUpdate":{"RiffleSettleMillisUpdate":60001}}`},
		{"overflowing", "UpdateApplication", `{"ApplicationName":"b","CurrentApplicationVersionId":2,"ApplicationUpdate":{"RiffleSettleMillisUpdate":9300000000000}}`},
	} {
		if status, out := call(t, url, c.op, c.body); status != 400 || out["__type"] != "InvalidArgumentException" {
			t.Errorf("%s: %d %v, want InvalidArgumentException", c.name, status, out)
		}
	}
	if got := settle("b"); got != float64(50) {
		t.Fatalf("settle %v after refused updates, want 50", got)
	}
	if status, _ := call(t, url, "DescribeApplication", `{"ApplicationName":"c"}`); status != 400 {
		t.Fatalf("an application with a refused settle wait was created")
	}
}

// chainCode is application code selecting 1+1+…+1 (terms ones), padded
// with spaces to length characters.
func chainCode(terms, length int) string {
	c := `CREATE STREAM \"OUT\" (v BIGINT); CREATE PUMP p AS INSERT INTO \"OUT\" SELECT STREAM 1` +
		strings.Repeat("+1", terms-1) + ` FROM \"SOURCE_SQL_STREAM_001\";`
	n := len(strings.ReplaceAll(c, `\"`, `"`))
	return c + strings.Repeat(" ", max(0, length-n))
}

// TestCodeBeyondTheServicesLimitIsRefused: code longer than the service's
// 102,400 characters gets CodeValidationException (a 2 MB expression used
// to overflow the planner's stack and end the server), code of exactly the
// limit is accepted however long its expression, and the server goes on
// answering.
func TestCodeBeyondTheServicesLimitIsRefused(t *testing.T) {
	url := serverWith(t, app.Options{})
	huge := chainCode(1_000_000, 0) // 2 MB
	status, out := call(t, url, "CreateApplication", `{"ApplicationName":"big","ApplicationCode":"`+huge+`",`+input+`}`)
	if status != 400 || out["__type"] != "CodeValidationException" || !strings.Contains(fmt.Sprint(out["message"]), "102400") {
		t.Fatalf("2 MB of code: %d %v, want CodeValidationException naming the limit", status, out)
	}
	atLimit := chainCode((serviceCodeLimit-200)/2, serviceCodeLimit)
	if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"a","ApplicationCode":"`+atLimit+`",`+input+`}`); status != 200 {
		t.Fatalf("code of exactly the limit: %d %v", status, out)
	}
	over := chainCode(10, serviceCodeLimit+1)
	status, out = call(t, url, "UpdateApplication", `{"ApplicationName":"a","CurrentApplicationVersionId":1,"ApplicationUpdate":{"ApplicationCodeUpdate":"`+over+`"}}`)
	if status != 400 || out["__type"] != "CodeValidationException" {
		t.Fatalf("update one character over the limit: %d %v", status, out)
	}
	if status, out := call(t, url, "DescribeApplication", `{"ApplicationName":"a"}`); status != 200 || out["ApplicationDetail"].(map[string]any)["ApplicationVersionId"] != float64(1) {
		t.Fatalf("after the refused calls: %d %v", status, out)
	}
	if _, out := call(t, url, "DescribeApplication", `{"ApplicationName":"big"}`); out["__type"] != "ResourceNotFoundException" {
		t.Fatalf("the refused application exists: %v", out)
	}
}

// serviceCodeLimit is the service's limit on ApplicationCode, in characters.
const serviceCodeLimit = 102400
