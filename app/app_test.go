package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riffle-sql/riffle/internal/safedial"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

const countsSQL = `CREATE STREAM "DESTINATION_SQL_STREAM" (action VARCHAR(16), n BIGINT);
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM "browseraction", COUNT(*) FROM "SOURCE_SQL_STREAM_001"
GROUP BY "browseraction", FLOOR(ROWTIME TO SECOND);`

var labSchema = record.Schema{
	RecordFormat: record.RecordFormat{RecordFormatType: record.JSON},
	RecordColumns: []record.RecordColumn{
		{Name: "browseraction", SqlType: "VARCHAR(16)", Mapping: "$.browseraction"},
		{Name: "site", SqlType: "VARCHAR(64)", Mapping: "$.site"},
	},
}

// setup opens a log with delivery stream "clicks" and the extra streams.
func setup(t *testing.T, extra ...streamlogtest.Stream) (*streamlog.Log, context.Context) {
	t.Helper()
	return streamlogtest.Open(t, append([]streamlogtest.Stream{{Name: "clicks", Kind: "firehose", Shards: 1}}, extra...)...), context.Background()
}

// startCounts creates application "lab", counting actions a second
// (countsSQL) on the given input stream, and starts it at position.
func startCounts(t *testing.T, m *Manager, source, kind, position string) {
	t.Helper()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: source, Kind: kind, Schema: labSchema, Parallelism: 1}
	if _, err := m.Create(context.Background(), Application{Name: "lab", Code: countsSQL, Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background(), "lab", position); err != nil {
		t.Fatal(err)
	}
}

func send(t *testing.T, l *streamlog.Log, n int) {
	t.Helper()
	var recs []streamlog.Record
	for i := range n {
		action := []string{"Click", "Impression"}[i%2]
		recs = append(recs, streamlog.Record{Data: []byte(`{"browseraction":"` + action + `","site":"x"}`), Arrival: time.Now()})
	}
	if _, err := l.Append(context.Background(), "clicks", 0, recs); err != nil {
		t.Fatal(err)
	}
}

// counted follows DESTINATION_SQL_STREAM and returns the total of N once
// it reaches want (or fails after a generous deadline).
func counted(t *testing.T, m *Manager, want int, seen map[string]int) {
	t.Helper()
	recent, rows, cancel, err := m.Tap(context.Background(), "lab", "DESTINATION_SQL_STREAM")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	total := 0
	add := func(row []byte) {
		var r struct {
			ROWTIME, ACTION string
			N               int
		}
		json.Unmarshal(row, &r)
		key := r.ROWTIME + "/" + r.ACTION
		if _, dup := seen[key]; !dup {
			seen[key] = r.N
		}
	}
	for _, row := range recent {
		add(row)
	}
	deadline := time.After(20 * time.Second)
	for {
		total = 0
		for _, n := range seen {
			total += n
		}
		if total >= want {
			if total > want {
				t.Fatalf("counted %d records, sent %d: some counted twice", total, want)
			}
			return
		}
		select {
		case row, ok := <-rows:
			if !ok {
				t.Fatalf("the tap closed at %d of %d", total, want)
			}
			add(row)
		case <-deadline:
			t.Fatalf("counted %d of %d records", total, want)
		}
	}
}

func TestRunCheckpointAndResume(t *testing.T) {
	l, ctx := setup(t)
	opts := Options{TimeScale: 10, Checkpoint: 20 * time.Millisecond, Poll: 10 * time.Millisecond}
	m, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	startCounts(t, m, "clicks", "firehose", Now)
	if err := m.Start(ctx, "lab", Now); !errors.Is(err, ErrInUse) {
		t.Fatalf("second start: %v, want ErrInUse", err)
	}
	seen := map[string]int{}
	send(t, l, 40)
	counted(t, m, 40, seen)
	// The server stops (the applications stay RUNNING) and comes back: the
	// application resumes from its checkpoint and counts only new records.
	m.Close()
	send(t, l, 30)
	m2, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	<-m2.Resumed()
	defer m2.Close()
	send(t, l, 30)
	counted(t, m2, 100, seen)
	a, err := m2.Get(ctx, "lab")
	if err != nil || a.Status != Running || a.Inputs[0].StartingPosition != Now {
		t.Fatalf("after resume: %+v %v", a, err)
	}
	if err := m2.Stop(ctx, "lab"); err != nil {
		t.Fatal(err)
	}
	if err := m2.Delete(ctx, "lab", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Get(ctx, "lab"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

func TestBadApplicationsAreRefused(t *testing.T) {
	l, ctx := setup(t)
	m, err := NewManager(ctx, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema}
	_, err = m.Create(ctx, Application{Name: "bad", Code: "CREATE STREAM s (a INT);\nCREATE PUMP p AS INSERT INTO s SELECT STREAM \"nope\" FROM \"SOURCE_SQL_STREAM_001\";", Inputs: []Input{in}})
	var sqlErr ast.ErrorList
	if !errors.As(err, &sqlErr) || sqlErr[0].Pos.Line != 2 {
		t.Fatalf("bad SQL: %v, want positioned errors", err)
	}
	missing := in
	missing.Source = "nowhere"
	if _, err := m.Create(ctx, Application{Name: "m", Code: countsSQL, Inputs: []Input{missing}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("missing input: %v", err)
	}
	if _, err := m.Create(ctx, Application{Name: "ok", Code: countsSQL, Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	if err := m.UpdateCode(ctx, "ok", 7, countsSQL); !errors.Is(err, ErrVersion) {
		t.Fatalf("wrong version: %v", err)
	}
	if err := m.Stop(ctx, "ok"); !errors.Is(err, ErrInUse) {
		t.Fatalf("stop while READY: %v", err)
	}
	if err := m.Start(ctx, "nope", Now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("start unknown: %v", err)
	}
	if err := m.Start(ctx, "ok", TrimHorizon); !errors.Is(err, ErrInvalid) {
		t.Fatalf("TRIM_HORIZON on Firehose: %v", err)
	}
	apps, _ := m.List(ctx)
	if fmt.Sprint(len(apps)) != "1" || apps[0].Status != Ready || apps[0].Version != 1 {
		t.Fatalf("refused calls changed the applications: %+v", apps)
	}
}

// labelsSQL joins each record's action to its label in the reference table
// labels (labelsSchema).
const labelsSQL = `CREATE STREAM "DESTINATION_SQL_STREAM" (action VARCHAR(16), label VARCHAR(16));
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM s."browseraction", r."label" FROM "SOURCE_SQL_STREAM_001" AS s JOIN "labels" AS r ON s."browseraction" = r."action";`

// labelsSchema is the reference table's: CSV lines of action,label.
var labelsSchema = record.Schema{
	RecordFormat:  record.RecordFormat{RecordFormatType: record.CSV, MappingParameters: &record.MappingParameters{CSVMappingParameters: &record.CSVMappingParameters{RecordRowDelimiter: "\n", RecordColumnDelimiter: ","}}},
	RecordColumns: []record.RecordColumn{{Name: "action", SqlType: "VARCHAR(16)"}, {Name: "label", SqlType: "VARCHAR(16)"}},
}

// startJoin adds ref, the table labels, to the application "lab" (at
// version 1, created without code), gives it labelsSQL and starts it.
func startJoin(t *testing.T, m *Manager, ref Reference) {
	t.Helper()
	ctx := context.Background()
	if err := m.AddReference(ctx, "lab", 1, ref); err != nil {
		t.Fatal(err)
	}
	if err := m.UpdateCode(ctx, "lab", 2, labelsSQL); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
}

// joinedLabels sends two records to the running labelsSQL application
// "lab" and returns the rows its tap gives from then on, recent ones too,
// from "ACTION" on (without the ROWTIME).
func joinedLabels(t *testing.T, m *Manager, l *streamlog.Log) map[string]bool {
	t.Helper()
	recent, rows, cancel, err := m.Tap(context.Background(), "lab", "DESTINATION_SQL_STREAM")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	send(t, l, 2)
	got := map[string]bool{}
	for _, r := range recent {
		got[string(r[strings.Index(string(r), `"ACTION"`):])] = true
	}
	for len(got) < 2+len(recent) {
		select {
		case r := <-rows:
			got[string(r[strings.Index(string(r), `"ACTION"`):])] = true
		case <-time.After(20 * time.Second):
			t.Fatalf("rows so far: %v", got)
		}
	}
	return got
}

// TestReferenceDataSource: a CSV file under the buckets directory becomes a
// table the running application joins; a missing file or a key leaving the
// directory is refused; replacing the source reloads the table.
func TestReferenceDataSource(t *testing.T) {
	l, ctx := setup(t)
	buckets := t.TempDir()
	os.MkdirAll(filepath.Join(buckets, "lab"), 0o755)
	os.WriteFile(filepath.Join(buckets, "lab", "labels.csv"), []byte("Click,clicked\nImpression,seen\n"), 0o644)
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond, Buckets: buckets, AllowPrivateURLs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	// Without the table, the SQL does not compile.
	if _, err := m.Create(ctx, Application{Name: "lab", Code: labelsSQL, Inputs: []Input{in}}); err == nil {
		t.Fatal("created an application joining a table it does not have")
	}
	if _, err := m.Create(ctx, Application{Name: "lab", Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	ref := Reference{TableName: "labels", Bucket: "lab", Key: "labels.csv", Schema: labelsSchema}
	for _, bad := range []Reference{{TableName: "labels", Bucket: "lab", Key: "nope.csv", Schema: ref.Schema}, {TableName: "labels", Bucket: "lab", Key: "../lab/labels.csv", Schema: ref.Schema}} {
		if err := m.AddReference(ctx, "lab", 1, bad); !errors.Is(err, ErrInvalid) {
			t.Fatalf("reference %s/%s: %v", bad.Bucket, bad.Key, err)
		}
	}
	startJoin(t, m, ref)
	labels := func() map[string]bool { return joinedLabels(t, m, l) }
	if got := labels(); !got[`"ACTION":"Click","LABEL":"clicked"}`] || !got[`"ACTION":"Impression","LABEL":"seen"}`] {
		t.Fatalf("joined rows: %v", got)
	}
	def, _ := m.Get(ctx, "lab")
	if err := m.DeleteReference(ctx, "lab", def.Version, def.References[0].ID); err == nil {
		t.Fatal("deleted the table the SQL joins")
	}
	// The table is loaded at each start: a changed file shows after a restart.
	os.WriteFile(filepath.Join(buckets, "lab", "labels.csv"), []byte("Click,CLICKED\nImpression,SEEN\n"), 0o644)
	if err := m.Stop(ctx, "lab"); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	if got := labels(); !got[`"ACTION":"Click","LABEL":"CLICKED"}`] {
		t.Fatalf("joined rows after the file changed: %v", got)
	}
	// Pointing the source at another file reloads it in the running application.
	os.WriteFile(filepath.Join(buckets, "lab", "other.csv"), []byte("Click,other\nImpression,other\n"), 0o644)
	def, _ = m.Get(ctx, "lab")
	if err := m.Reconfigure(ctx, "lab", def.Version, func(a *Application) error {
		a.References[0].Key = "other.csv"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := labels(); !got[`"ACTION":"Click","LABEL":"other"}`] {
		t.Fatalf("joined rows after the source changed: %v", got)
	}
	// A key that is a URL is fetched.
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/labels.csv" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "Click,from the web\nImpression,from the web\n")
	}))
	defer web.Close()
	def, _ = m.Get(ctx, "lab")
	if err := m.Reconfigure(ctx, "lab", def.Version, func(a *Application) error {
		a.References[0].Key = web.URL + "/nope.csv"
		return nil
	}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), safedial.ErrUnusable.Error()) || strings.Contains(err.Error(), "404") {
		t.Fatalf("a URL that is not found: %v, want the one error of a URL (its cause in the log only)", err)
	}
	if err := m.Reconfigure(ctx, "lab", def.Version, func(a *Application) error {
		a.References[0].Key = web.URL + "/labels.csv"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := labels(); !got[`"ACTION":"Click","LABEL":"from the web"}`] {
		t.Fatalf("joined rows from the URL: %v", got)
	}
}

// TestShardsAreMergedByArrival: a two-shard data stream feeds
// SOURCE_SQL_STREAM_001 in arrival order across its shards, whatever order
// the shards were written and read in.
func TestShardsAreMergedByArrival(t *testing.T) {
	l, ctx := setup(t, streamlogtest.Stream{Name: "multi", Kind: "kinesis", Shards: 2})
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	schema := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON},
		RecordColumns: []record.RecordColumn{{Name: "n", SqlType: "INTEGER", Mapping: "$.n"}}}
	const sql = `CREATE STREAM "DESTINATION_SQL_STREAM" (n INTEGER);
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM "n" FROM "SOURCE_SQL_STREAM_001";`
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "multi", Kind: "kinesis", Schema: schema, Parallelism: 1}
	if _, err := m.Create(ctx, Application{Name: "m", Code: sql, Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "m", Now); err != nil {
		t.Fatal(err)
	}
	_, rows, cancel, err := m.Tap(context.Background(), "m", "DESTINATION_SQL_STREAM")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	const n = 40
	base := time.Now()
	byShard := [2][]streamlog.Record{}
	for i := range n {
		byShard[i%2] = append(byShard[i%2], streamlog.Record{Data: []byte(fmt.Sprintf(`{"n":%d}`, i)), Arrival: base.Add(time.Duration(i) * time.Millisecond)})
	}
	for _, shard := range []int{1, 0} { // the later shard first
		if _, err := l.Append(ctx, "multi", shard, byShard[shard]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		select {
		case row := <-rows:
			if want := fmt.Sprintf(`"N":%d}`, i); !strings.HasSuffix(string(row), want) {
				t.Fatalf("row %d: %s, want N %d", i, row, i)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("only %d of %d rows", i, n)
		}
	}
}

// TestInputParallelismSplitsShardsAcrossStreams: with InputParallelism 2,
// shard 0 fills SOURCE_SQL_STREAM_001 and shard 1 SOURCE_SQL_STREAM_002,
// and the SQL reads both.
func TestInputParallelismSplitsShardsAcrossStreams(t *testing.T) {
	l, ctx := setup(t, streamlogtest.Stream{Name: "multi", Kind: "kinesis", Shards: 2})
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	schema := record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON},
		RecordColumns: []record.RecordColumn{{Name: "n", SqlType: "INTEGER", Mapping: "$.n"}}}
	// Each row says which shard it came from (SHARD_ID), with its partition
	// key and sequence number: the Kinesis metadata of the record.
	const sql = `CREATE STREAM "DESTINATION_SQL_STREAM" (src INTEGER, n INTEGER, shard VARCHAR(32), pk VARCHAR(8), seq VARCHAR(64));
CREATE PUMP p1 AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM 1, "n", SHARD_ID, PARTITION_KEY, SEQUENCE_NUMBER FROM "SOURCE_SQL_STREAM_001";
CREATE PUMP p2 AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM 2, "n", SHARD_ID, PARTITION_KEY, SEQUENCE_NUMBER FROM "SOURCE_SQL_STREAM_002";`
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "multi", Kind: "kinesis", Schema: schema, Parallelism: 2}
	if _, err := m.Create(ctx, Application{Name: "m", Code: sql, Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	one := in
	one.Parallelism = 1
	if _, err := m.Create(ctx, Application{Name: "one", Code: sql, Inputs: []Input{one}}); err == nil {
		t.Fatal("parallelism 1 made a SOURCE_SQL_STREAM_002")
	}
	if err := m.Start(ctx, "m", Now); err != nil {
		t.Fatal(err)
	}
	_, rows, cancel, err := m.Tap(context.Background(), "m", "DESTINATION_SQL_STREAM")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	base := time.Now()
	for shard := range 2 {
		var recs []streamlog.Record
		for i := range 5 {
			n := 10*shard + i
			recs = append(recs, streamlog.Record{Data: []byte(fmt.Sprintf(`{"n":%d}`, n)), PartitionKey: fmt.Sprintf("k%d", n), Arrival: base.Add(time.Duration(n) * time.Millisecond)})
		}
		if _, err := l.Append(ctx, "multi", shard, recs); err != nil {
			t.Fatal(err)
		}
	}
	seqs := map[string]bool{}
	for range 10 {
		select {
		case row := <-rows:
			var r struct {
				SRC, N         int
				SHARD, PK, SEQ string
			}
			json.Unmarshal(row, &r)
			if want := r.N/10 + 1; r.SRC != want {
				t.Fatalf("row %s came through SOURCE_SQL_STREAM_00%d, want _00%d", row, r.SRC, want)
			}
			if want := fmt.Sprintf("shardId-%012d", r.N/10); r.SHARD != want || r.PK != fmt.Sprintf("k%d", r.N) || r.SEQ == "" || seqs[r.SEQ] {
				t.Fatalf("row %s: want SHARD_ID %s, PARTITION_KEY k%d and a sequence number of its own", row, want, r.N)
			}
			seqs[r.SEQ] = true
		case <-time.After(20 * time.Second):
			t.Fatal("rows missing")
		}
	}
}

// TestABacklogKeepsItsRowtimes: started at TRIM_HORIZON on 25,000 stored
// records (more than a runner reads at once), every record keeps the
// ROWTIME of its arrival: each one-second window counts exactly its 500
// clicks and 500 impressions.
func TestABacklogKeepsItsRowtimes(t *testing.T) {
	l, ctx := setup(t, streamlogtest.Stream{Name: "backlog", Kind: "kinesis", Shards: 1})
	base := time.Now().Truncate(time.Second).Add(-time.Minute)
	const n = 25000
	for b := 0; b < n; b += 500 {
		var recs []streamlog.Record
		for i := b; i < b+500; i++ {
			action := []string{"Click", "Impression"}[i%2]
			recs = append(recs, streamlog.Record{Data: []byte(`{"browseraction":"` + action + `"}`), Arrival: base.Add(time.Duration(i) * time.Millisecond)})
		}
		if _, err := l.Append(ctx, "backlog", 0, recs); err != nil {
			t.Fatal(err)
		}
	}
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	startCounts(t, m, "backlog", "kinesis", TrimHorizon)
	seen := map[string]int{}
	counted(t, m, n, seen)
	for key, count := range seen {
		if count != 500 {
			t.Fatalf("window %s counted %d, want 500", key, count)
		}
	}
	if len(seen) != 50 {
		t.Fatalf("%d windows, want 50", len(seen))
	}
}

// TestAFullLaneEndingBeforeItsFirstArrivalGoesOn: concurrent requests are
// stored in either order, so a lane filled to its bound may end with a
// record that arrived before its first one. The application goes on past
// it (it used to stall there for ever, spinning) and counts every record.
func TestAFullLaneEndingBeforeItsFirstArrivalGoesOn(t *testing.T) {
	l, ctx := setup(t, streamlogtest.Stream{Name: "backlog", Kind: "kinesis", Shards: 1})
	base := time.Now().Truncate(time.Second).Add(-time.Minute)
	appendAt := func(at time.Duration, n int) {
		var recs []streamlog.Record
		for i := range n {
			action := []string{"Click", "Impression"}[i%2]
			recs = append(recs, streamlog.Record{Data: []byte(`{"browseraction":"` + action + `"}`), Arrival: base.Add(at)})
		}
		if _, err := l.Append(ctx, "backlog", 0, recs); err != nil {
			t.Fatal(err)
		}
	}
	appendAt(1500*time.Millisecond, 2) // stored first, arrived later than what follows
	const behind = maxPending + 2000
	for sent := 0; sent < behind; sent += 500 {
		appendAt(1200*time.Millisecond, 500)
	}
	appendAt(2500*time.Millisecond, 2)
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	startCounts(t, m, "backlog", "kinesis", TrimHorizon)
	seen := map[string]int{}
	counted(t, m, behind+4, seen)
}

// TestABacklogStoredOutOfOrderKeepsItsRowtimes: concurrent requests are
// stored in either order (within the settle wait of their arrival). Read
// from TRIM_HORIZON, more than a lane holds at once, every record still
// keeps its arrival as ROWTIME, wherever a read ends: none is late, and
// each one-second window counts exactly the records that arrived in it.
func TestABacklogStoredOutOfOrderKeepsItsRowtimes(t *testing.T) {
	l, ctx := setup(t, streamlogtest.Stream{Name: "backlog", Kind: "kinesis", Shards: 1})
	base := time.Now().Truncate(time.Second).Add(-time.Minute)
	const batches = 60
	want := map[string]int{}
	store := func(k int) { // batch k arrived at base + 40 ms × k
		arrival := base.Add(time.Duration(k) * 40 * time.Millisecond)
		var recs []streamlog.Record
		for i := range 500 {
			action := []string{"Click", "Impression"}[i%2]
			recs = append(recs, streamlog.Record{Data: []byte(`{"browseraction":"` + action + `"}`), Arrival: arrival})
			// A window's row has the window's end as ROWTIME.
			want[arrival.Truncate(time.Second).Add(time.Second).UTC().Format("2006-01-02T15:04:05.000Z")+"/"+action]++
		}
		if _, err := l.Append(ctx, "backlog", 0, recs); err != nil {
			t.Fatal(err)
		}
	}
	// Stored 0, 2, 1, 4, 3, ...: a read of maxPending records ends on a
	// batch that arrived after the next one stored.
	store(0)
	for k := 2; k < batches; k += 2 {
		store(k)
		store(k - 1)
	}
	store(batches - 1)
	reg := prometheus.NewRegistry()
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	startCounts(t, m, "backlog", "kinesis", TrimHorizon)
	seen := map[string]int{}
	counted(t, m, batches*500, seen)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "riffle_input_late_records_total" {
			t.Errorf("%v records were late", f.GetMetric()[0].GetCounter().GetValue())
		}
	}
	if !maps.Equal(seen, want) {
		t.Fatalf("windows counted %v, want %v", seen, want)
	}
}

// TestLastStoppedPointWithoutACheckpointStartsNow: an application never
// started does not replay the stream's old records under
// LAST_STOPPED_POINT.
func TestLastStoppedPointWithoutACheckpointStartsNow(t *testing.T) {
	l, ctx := setup(t)
	send(t, l, 2) // before the start: not the application's
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	startCounts(t, m, "clicks", "firehose", LastStoppedPoint)
	send(t, l, 4)
	counted(t, m, 4, map[string]int{})
	if n, _ := m.RecordsRead("lab"); n != 4 {
		t.Fatalf("read %d records, want the 4 sent after the start", n)
	}
}
