package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestDiscoverOnADeeplyNestedRecord: a producer writes a 235 KB record of
// objects nested 2,500 deep (the record, which took 1.6 GB to
// discover). "Discover schema" answers with mappings at most 64 keys deep,
// the deeper object one VARCHAR column, every sample parsed, and the
// server goes on answering.
func TestDiscoverOnADeeplyNestedRecord(t *testing.T) {
	srv := servertest.Start(t, server.Config{Apps: app.Options{}})
	streamlogtest.Create(t, srv.Log, streamlogtest.Stream{Name: "in", Kind: "firehose", Shards: 1})
	key := strings.Repeat("k", 90)
	deep := strings.Repeat(`{"`+key+`":`, 2500) + "1" + strings.Repeat("}", 2500)
	if _, err := srv.Log.Append(context.Background(), "in", 0, []streamlog.Record{{Data: []byte(`{"v": 7}`)}, {Data: []byte(deep)}}); err != nil {
		t.Fatal(err)
	}
	status, out := call(t, srv.URL, "DiscoverInputSchema", `{"ResourceARN":"arn:aws:firehose:us-east-1:000000000000:deliverystream/in"}`)
	if status != 200 {
		t.Fatalf("DiscoverInputSchema: %d %v", status, out)
	}
	cols := out["InputSchema"].(map[string]any)["RecordColumns"].([]any)
	if len(cols) != 2 {
		t.Fatalf("discovered %d columns, want v and the deep object: %.300v", len(cols), cols)
	}
	c := cols[1].(map[string]any)
	if keys := strings.Count(c["Mapping"].(string), "."+key); keys != record.MaxPathDepth || c["SqlType"] != "VARCHAR(65535)" {
		t.Errorf("the deep column is %v mapped %d keys down, want VARCHAR(65535) %d keys down", c["SqlType"], keys, record.MaxPathDepth)
	}
	if parsed := out["ParsedInputRecords"].([]any); len(parsed) != 2 {
		t.Errorf("%d of the 2 samples parsed", len(parsed))
	}
	if status, out := call(t, srv.URL, "ListApplications", `{}`); status != 200 {
		t.Errorf("the server no longer answers: %d %v", status, out)
	}
}
