package app

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestACheckpointLargerThanANATSMessage: on an external nats-server with
// its default 1 MiB max_payload, an application whose forest (100 trees of
// 256 shingles of 4) makes a checkpoint of more than 1 MiB stops with that
// checkpoint and resumes from it: the first record after the restart is
// scored by the restored forest, not by a new one still warming up.
func TestACheckpointLargerThanANATSMessage(t *testing.T) {
	ctx := context.Background()
	l := streamlogtest.OpenConfig(t, streamlog.Config{URL: natstest.Start(t)}, streamlogtest.Stream{Name: "points", Kind: "kinesis", Shards: 1})
	send := func(from, n int) {
		var recs []streamlog.Record
		for i := from; i < from+n; i++ {
			recs = append(recs, streamlog.Record{Data: fmt.Appendf(nil, `{"v": %d}`, i%17), Arrival: time.Now()})
		}
		if _, err := l.Append(ctx, "points", 0, recs); err != nil {
			t.Fatal(err)
		}
	}
	send(0, 600)
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	schema := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: []record.RecordColumn{{Name: "V", SqlType: "DOUBLE", Mapping: "$.v"}}}
	code := `CREATE STREAM "SCORES" (V DOUBLE, ANOMALY_SCORE DOUBLE);
CREATE PUMP "P" AS INSERT INTO "SCORES" SELECT STREAM * FROM TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM "V" FROM "SOURCE_SQL_STREAM_001"), 100, 256, 100000, 4));`
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "points", Kind: "kinesis", Schema: schema}
	if _, err := m.Create(ctx, Application{Name: "forest", Code: code, Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "forest", TrimHorizon); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, func() (bool, string) {
		n, _ := m.RecordsRead("forest")
		return n == 600, fmt.Sprintf("the application read %d of its 600 records", n)
	})
	if err := m.Stop(ctx, "forest"); err != nil {
		t.Fatal(err)
	}
	def, err := m.Get(ctx, "forest")
	if err != nil {
		t.Fatal(err)
	}
	c, _, ok, err := m.store.LoadCheckpoint(ctx, def)
	if err != nil || !ok || c.Engine == nil {
		t.Fatalf("the checkpoint has no engine state: %v", err)
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) <= 1<<20 {
		t.Fatalf("the checkpoint is %d bytes: not more than a NATS message, the test proves nothing", len(data))
	}
	if err := m.Start(ctx, "forest", LastStoppedPoint); err != nil {
		t.Fatal(err)
	}
	recent, rows, cancel, err := m.Tap(context.Background(), "forest", "SCORES")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if len(recent) > 0 {
		t.Fatalf("rows before any new record: %s", recent[0])
	}
	send(600, 1)
	select {
	case row := <-rows:
		var r struct{ ANOMALY_SCORE float64 }
		json.Unmarshal(row, &r)
		if r.ANOMALY_SCORE == 0 {
			t.Errorf("the first score after the restart is 0: a new forest, not the checkpointed one (%s)", row)
		}
		t.Logf("checkpoint of %d bytes; first row after the restart: %s", len(data), row)
	case <-time.After(20 * time.Second):
		t.Fatal("no row after the restart")
	}
}
