package api_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/internal/badport"
	"github.com/riffle-sql/riffle/internal/safedial"
)

// answering is a server that would answer both a reference data source's
// GET and a function's POST, and counts the requests it saw.
func answering(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		if r.URL.Path != "/t.json" && r.URL.Path != "/invoke" {
			http.NotFound(w, r)
			return
		}
		if r.Method == http.MethodGet {
			w.Write([]byte(`{"k":"secret","v":1}` + "\n"))
			return
		}
		w.Write([]byte(`{"records":[]}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

// urlCalls are the calls that give a URL: a function URL as an output's
// ResourceARN (CreateApplication, AddApplicationOutput, UpdateApplication)
// and a reference data source's URL (AddApplicationReferenceDataSource,
// UpdateApplication). Application "a" has output 1.1 and reference 2.1,
// application "c" neither.
func urlCalls(u string) map[string][2]string {
	lambda := `{"Name":"OUT","LambdaOutput":{"ResourceARN":"` + u + `/invoke"},"DestinationSchema":{"RecordFormatType":"JSON"}}`
	return map[string][2]string{
		"CreateApplication's output":        {"CreateApplication", `{"ApplicationName":"b","ApplicationCode":"` + code + `",` + input + `,"Outputs":[` + lambda + `]}`},
		"AddApplicationOutput":              {"AddApplicationOutput", `{"ApplicationName":"a","CurrentApplicationVersionId":2,"Output":` + lambda + `}`},
		"UpdateApplication's output":        {"UpdateApplication", `{"ApplicationName":"a","CurrentApplicationVersionId":2,"ApplicationUpdate":{"OutputUpdates":[{"OutputId":"1.1","LambdaOutputUpdate":{"ResourceARNUpdate":"` + u + `/invoke"}}]}}`},
		"AddApplicationReferenceDataSource": {"AddApplicationReferenceDataSource", `{"ApplicationName":"c","CurrentApplicationVersionId":1,"ReferenceDataSource":{"TableName":"U","S3ReferenceDataSource":{"BucketARN":"arn:aws:s3:::b","FileKey":"` + u + `/t.json","ReferenceRoleARN":"arn:aws:iam::000000000000:role/r"},` + refSchema + `}}`},
		"UpdateApplication's reference":     {"UpdateApplication", `{"ApplicationName":"a","CurrentApplicationVersionId":2,"ApplicationUpdate":{"ReferenceDataSourceUpdates":[{"ReferenceId":"2.1","S3ReferenceDataSourceUpdate":{"FileKeyUpdate":"` + u + `/t.json"}}]}}`},
	}
}

const refSchema = `"ReferenceSchema":{"RecordFormat":{"RecordFormatType":"JSON","MappingParameters":{"JSONMappingParameters":{"RecordRowPath":"$"}}},"RecordColumns":[{"Name":"k","SqlType":"VARCHAR(8)","Mapping":"$.k"},{"Name":"v","SqlType":"INTEGER","Mapping":"$.v"}]}`

// withURLApplication starts a server with opts and makes application "a"
// (version 2): an output to the operator's function "f" and a reference
// data source of the buckets; and application "c" (version 1).
func withURLApplication(t *testing.T, opts app.Options) string {
	t.Helper()
	opts.Buckets = t.TempDir()
	opts.Functions = functions("f")
	os.MkdirAll(filepath.Join(opts.Buckets, "b"), 0o755)
	os.WriteFile(filepath.Join(opts.Buckets, "b", "t.json"), []byte(`{"k":"x","v":1}`+"\n"), 0o644)
	url := serverWith(t, opts)
	if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"a","ApplicationCode":"`+code+`",`+input+`,
		"Outputs":[{"Name":"OUT","LambdaOutput":{"ResourceARN":"arn:aws:lambda:us-east-1:000000000000:function:f"},"DestinationSchema":{"RecordFormatType":"JSON"}}]}`); status != 200 {
		t.Fatalf("create: %v", out)
	}
	if status, out := call(t, url, "AddApplicationReferenceDataSource", `{"ApplicationName":"a","CurrentApplicationVersionId":1,"ReferenceDataSource":{"TableName":"T","S3ReferenceDataSource":{"BucketARN":"arn:aws:s3:::b","FileKey":"t.json","ReferenceRoleARN":"arn:aws:iam::000000000000:role/r"},`+refSchema+`}}`); status != 200 {
		t.Fatalf("add the reference: %v", out)
	}
	if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"c","ApplicationCode":"`+code+`",`+input+`}`); status != 200 {
		t.Fatalf("create: %v", out)
	}
	return url
}

// TestURLsGivenThroughTheAPIReachOnlyPublicAddresses: a function URL and a
// reference data source's URL given through the API that point at the
// server's own machine or network (a server there that would answer, by
// address or by name, IPv6 loopback, the cloud's metadata service, a
// private address, a closed port, a name that does not resolve) are
// refused, each call with one message whatever the target: InvalidArgument
// with the one error of a URL, the URL aside. The server there saw no
// request, and nothing changed.
func TestURLsGivenThroughTheAPIReachOnlyPublicAddresses(t *testing.T) {
	target, seen := answering(t)
	_, port, _ := net.SplitHostPort(target.Listener.Addr().String())
	url := withURLApplication(t, app.Options{})
	messages := map[string]map[string]bool{}
	for _, u := range []string{target.URL, "http://[::1]:" + port, "http://169.254.169.254/latest/meta-data", "http://10.0.0.1", "http://localhost:" + port,
		"http://" + badport.Closed(t), "https://100.64.0.1", "http://[::ffff:127.0.0.1]:" + port, "http://nothing.invalid"} {
		for what, c := range urlCalls(u) {
			status, out := call(t, url, c[0], c[1])
			msg, _ := out["message"].(string)
			if status != 400 || out["__type"] != "InvalidArgumentException" || !strings.Contains(msg, safedial.ErrUnusable.Error()) {
				t.Errorf("%s %s: %d %v, want InvalidArgumentException with the one error of a URL", what, u, status, out)
			}
			if messages[what] == nil {
				messages[what] = map[string]bool{}
			}
			messages[what][strings.ReplaceAll(msg, u, "URL")] = true
		}
	}
	for what, texts := range messages {
		if len(texts) != 1 {
			t.Errorf("%s: %d messages, want one whatever the target: %v", what, len(texts), texts)
		}
	}
	if n := seen.Load(); n != 0 {
		t.Errorf("the server on loopback saw %d requests", n)
	}
	if _, d := call(t, url, "DescribeApplication", `{"ApplicationName":"a"}`); d["ApplicationDetail"].(map[string]any)["ApplicationVersionId"] != 2.0 {
		t.Errorf("the application changed: %v", d)
	}
}

// TestAServerThatAllowsPrivateURLsReachesThem: with AllowPrivateURLs
// (riffle serve --allow-private-urls) the same URLs on loopback are taken
// and reached; a closed port, a port that is not HTTP, and an answer that
// is not a success still give a reference one message, the URL aside.
func TestAServerThatAllowsPrivateURLsReachesThem(t *testing.T) {
	target, seen := answering(t)
	url := withURLApplication(t, app.Options{AllowPrivateURLs: true})
	if status, out := call(t, url, "AddApplicationOutput", urlCalls(target.URL)["AddApplicationOutput"][1]); status != 200 {
		t.Fatalf("a function on loopback: %d %v", status, out)
	}
	ref := urlCalls(target.URL)["AddApplicationReferenceDataSource"][1]
	if status, out := call(t, url, "AddApplicationReferenceDataSource", ref); status != 200 {
		t.Fatalf("a reference on loopback: %d %v", status, out)
	}
	if seen.Load() != 1 {
		t.Errorf("the reference's server saw %d requests, want its GET", seen.Load())
	}
	_, d := call(t, url, "DescribeApplication", `{"ApplicationName":"c"}`)
	if refs := d["ApplicationDetail"].(map[string]any)["ReferenceDataSourceDescriptions"].([]any); len(refs) != 1 {
		t.Errorf("references: %v", refs)
	}
	notHTTP := badport.NotHTTP(t)
	texts := map[string]string{}
	for what, u := range map[string]string{"a closed port": "http://" + badport.Closed(t), "a port that is not HTTP": "http://" + notHTTP, "an answer of 404": target.URL + "/missing"} {
		c := urlCalls(u)["UpdateApplication's reference"]
		status, out := call(t, url, c[0], strings.Replace(c[1], `"CurrentApplicationVersionId":2`, `"CurrentApplicationVersionId":3`, 1))
		msg, _ := out["message"].(string)
		if status != 400 || !strings.Contains(msg, safedial.ErrUnusable.Error()) {
			t.Errorf("%s: %d %v", what, status, out)
		}
		texts[strings.ReplaceAll(msg, u, "URL")] = what
	}
	if len(texts) != 1 {
		t.Errorf("the reference's messages differ by cause: %v", texts)
	}
}
