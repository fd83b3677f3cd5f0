package main

import (
	"encoding/base64"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/lambdatest"
	"github.com/riffle-sql/riffle/internal/poll"
)

// TestAnOutputToAFunctionOnAWSGoesThroughTheLambdaAPI: an application's
// Lambda output names a function ARN that is not one of the server's
// --function: the server invokes it through the Lambda Invoke API, here
// AWS's runtime interface emulator (--aws-endpoint lambda=URL) running a
// Go function. Its first invocation fails as a whole and it refuses every
// seventh record: every row arrives in the end, each under one record id
// across its attempts, the retried ones with a retryHint.
func TestAnOutputToAFunctionOnAWSGoesThroughTheLambdaAPI(t *testing.T) {
	fn := lambdatest.StartEmulated(t, 1, 7)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	srv := startServer(t, t.TempDir(), "--aws-endpoint", "lambda="+fn.URL)
	if _, err := call(srv.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "clicks"}); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:eu-west-1:123456789012:function:function"
	if err := createSiteCopy(srv.url, "alerts", map[string]any{
		"Name":              "DESTINATION_SQL_STREAM",
		"LambdaOutput":      map[string]any{"ResourceARN": arn, "RoleARN": "arn:aws:iam::000000000000:role/r"},
		"DestinationSchema": map[string]any{"RecordFormatType": "JSON"},
	}); err != nil {
		t.Fatal(err)
	}
	startApplication(t, srv.url, "alerts")
	const n = 30
	var want []string
	for batch := range 3 {
		var recs []any
		for i := range n / 3 {
			site := fmt.Sprintf("site-%02d", batch*n/3+i)
			want = append(want, fmt.Sprintf(`{"SITE":"%s"}`, site))
			recs = append(recs, map[string]string{"Data": base64.StdEncoding.EncodeToString(fmt.Appendf(nil, `{"site":%q}`, site))})
		}
		if _, err := call(srv.url, "Firehose_20150804.PutRecordBatch", map[string]any{"DeliveryStreamName": "clicks", "Records": recs}); err != nil {
			t.Fatal(err)
		}
	}
	accepted := func() map[string]bool {
		ok := map[string]bool{}
		for _, l := range fn.Lines(t) {
			if l.Result == "Ok" {
				ok[l.Data] = true
			}
		}
		return ok
	}
	poll.Until(t, 60*time.Second, func() (bool, string) {
		got := accepted()
		return len(got) == n, fmt.Sprintf("the function accepted %d rows of %d", len(got), n)
	})
	var got []string
	for row := range accepted() {
		got = append(got, row)
	}
	sort.Strings(got)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("accepted rows %q\nwant %q", got, want)
	}
	ids, refused, retried := map[string]map[string]bool{}, 0, 0
	for _, l := range fn.Lines(t) {
		if ids[l.Data] == nil {
			ids[l.Data] = map[string]bool{}
		}
		ids[l.Data][l.RecordID] = true
		if l.Result != "Ok" {
			refused++
		}
		if l.RetryHint > 0 {
			retried++
		}
	}
	for row, set := range ids {
		if len(set) != 1 {
			t.Errorf("row %s came under %d record ids", row, len(set))
		}
	}
	if refused == 0 || retried == 0 {
		t.Errorf("%d records refused, %d attempts with a retryHint: the test did not cover retries", refused, retried)
	}
}
