package streamlog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riffle-sql/riffle/internal/logtest"
	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

func openLogged(t *testing.T, cfg streamlog.Config) (*streamlog.Log, *logtest.Buffer) {
	t.Helper()
	logs := &logtest.Buffer{}
	cfg.Logger = logs.Logger()
	l, err := streamlog.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l, logs
}

// fill appends batches of 88 small records (the shape of the case seen:
// 177,000 records in 2,000 batches) of recordSize bytes.
func fill(t *testing.T, l *streamlog.Log, name string, batches, recordSize int) {
	t.Helper()
	for b := range batches {
		recs := make([]streamlog.Record, 88)
		for i := range recs {
			recs[i] = streamlog.Record{Data: fmt.Appendf(nil, "%0*d", recordSize, b*100+i), Arrival: time.Now()}
		}
		if _, err := l.Append(context.Background(), name, 0, recs); err != nil {
			t.Fatal(err)
		}
	}
}

// batchesLeft reads a shard through and returns its batches' numbers.
func batchesLeft(t *testing.T, l *streamlog.Log, name string) []uint64 {
	t.Helper()
	var msgs []uint64
	from := streamlog.Seq{}
	for {
		recs, next, err := l.Read(context.Background(), name, 0, from, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return msgs
		}
		for _, r := range recs {
			if len(msgs) == 0 || msgs[len(msgs)-1] != r.Seq.Msg {
				msgs = append(msgs, r.Seq.Msg)
			}
		}
		from = next
	}
}

// missing are the batches of 1..n not in have, as a count and bounds.
func missing(have []uint64, n uint64) (count int, first, last uint64) {
	got := map[uint64]bool{}
	for _, m := range have {
		got[m] = true
	}
	for m := uint64(1); m <= n; m++ {
		if !got[m] {
			if count == 0 {
				first = m
			}
			count, last = count+1, m
		}
	}
	return count, first, last
}

func checkLost(t *testing.T, l *streamlog.Log, name string, batches int, first, last uint64) {
	t.Helper()
	info, err := l.Describe(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if info.Lost.Batches != batches || info.Lost.First != first || info.Lost.Last != last {
		t.Fatalf("Describe says %d batches lost (%d to %d), want %d (%d to %d)", info.Lost.Batches, info.Lost.First, info.Lost.Last, batches, first, last)
	}
	losses, err := l.Losses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if batches == 0 {
		if len(losses) != 0 {
			t.Fatalf("Losses = %+v, want none", losses)
		}
		return
	}
	if len(losses) != 1 || losses[0].Stream != name || losses[0].Lost.Batches != batches || losses[0].Lost.First != first || losses[0].Lost.Last != last {
		t.Fatalf("Losses = %+v, want %s's %d batches", losses, name, batches)
	}
}

// TestAStreamCutShortByDamageSaysSo: garbage in the block file of a
// stream, written while the log is closed, makes JetStream drop the
// stream's tail at the next start. The log says so (one error, with the
// stream and the counts), Describe and Losses show the batches lost, new
// appends do not reuse their numbers (a reader positioned inside the lost
// range gets the new records), the loss is still shown after another
// restart without being logged again as new, and once acknowledged it is
// gone for good.
func TestAStreamCutShortByDamageSaysSo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, _ := openLogged(t, streamlog.Config{Dir: dir})
	if err := l.Create(ctx, "clicks", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	fill(t, l, "clicks", 2000, 10)
	l.Close()
	streamlogtest.Damage(t, dir, "clicks")

	l, logs := openLogged(t, streamlog.Config{Dir: dir})
	left := batchesLeft(t, l, "clicks")
	n, first, last := missing(left, 2000)
	if n == 0 || last != 2000 || left[len(left)-1] != first-1 {
		l.Close()
		t.Fatalf("the damage left batches %d to %d of 2000: not the cut-short stream this test is about", left[0], left[len(left)-1])
	}
	errs := logs.Lines("ERROR", "lost records", "stream=clicks", fmt.Sprintf("batches=%d", n))
	if all := logs.Lines("ERROR"); len(errs) != 1 || len(all) != 1 {
		t.Errorf("errors logged:\n%s\nwant one saying that clicks lost %d batches", strings.Join(all, "\n"), n)
	}
	checkLost(t, l, "clicks", n, first, last)
	seqs, err := l.Append(ctx, "clicks", 0, []streamlog.Record{{Data: []byte("after the damage")}})
	if err != nil {
		t.Fatal(err)
	}
	if seqs[0].Msg <= 2000 {
		t.Errorf("a new append got batch number %d, one of the lost ones", seqs[0].Msg)
	}
	recs, _, err := l.Read(ctx, "clicks", 0, streamlog.Seq{Msg: 1500}, 10)
	if err != nil || len(recs) != 1 || string(recs[0].Data) != "after the damage" {
		t.Errorf("reading from inside the lost range: %d records (%v), want the new one", len(recs), err)
	}
	l.Close()

	l, logs = openLogged(t, streamlog.Config{Dir: dir})
	if errs := logs.Lines("ERROR"); len(errs) != 0 {
		t.Errorf("the second restart logged errors (the loss is not new):\n%s", strings.Join(errs, "\n"))
	}
	if len(logs.Lines("WARN", "not yet acknowledged", "stream=clicks")) != 1 {
		t.Errorf("the second restart did not recall the unacknowledged loss")
	}
	checkLost(t, l, "clicks", n, first, last)
	was, err := l.Acknowledge(ctx, "clicks")
	if err != nil || was.Batches != n {
		t.Fatalf("Acknowledge: %+v %v, want the %d batches", was, err, n)
	}
	checkLost(t, l, "clicks", 0, 0, 0)
	l.Close()

	l, logs = openLogged(t, streamlog.Config{Dir: dir})
	defer l.Close()
	if lines := append(logs.Lines("ERROR"), logs.Lines("WARN", "lost")...); len(lines) != 0 {
		t.Errorf("after the acknowledgement a restart logged:\n%s", strings.Join(lines, "\n"))
	}
	checkLost(t, l, "clicks", 0, 0, 0)
}

// TestAHoleInAStreamSaysSo: garbage in a stream's first block when a
// second one holds its end leaves the last sequence as it was but
// batches missing inside; that is reported the same way.
func TestAHoleInAStreamSaysSo(t *testing.T) {
	dir := t.TempDir()
	l, _ := openLogged(t, streamlog.Config{Dir: dir})
	if err := l.Create(context.Background(), "clicks", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	fill(t, l, "clicks", 2000, 40) // 9 MB: two block files
	l.Close()
	streamlogtest.Damage(t, dir, "clicks")

	l, logs := openLogged(t, streamlog.Config{Dir: dir})
	left := batchesLeft(t, l, "clicks")
	n, first, last := missing(left, 2000)
	if n == 0 || left[len(left)-1] != 2000 {
		l.Close()
		t.Fatalf("the damage left %d batches ending with %d: not the hole this test is about", len(left), left[len(left)-1])
	}
	if errs := logs.Lines("ERROR", "lost records", "stream=clicks", fmt.Sprintf("batches=%d", n)); len(errs) != 1 {
		t.Errorf("errors logged:\n%s\nwant one saying that clicks lost %d batches", strings.Join(logs.Lines("ERROR"), "\n"), n)
	}
	checkLost(t, l, "clicks", n, first, last)
	l.Close()

	l, logs = openLogged(t, streamlog.Config{Dir: dir})
	defer l.Close()
	if errs := logs.Lines("ERROR"); len(errs) != 0 {
		t.Errorf("the second restart logged errors:\n%s", strings.Join(errs, "\n"))
	}
	checkLost(t, l, "clicks", n, first, last)
}

// TestACleanRestartReportsNoLoss: restarts without damage, with records
// appended between them and a stream deleted and made again with fewer
// records, report nothing.
func TestACleanRestartReportsNoLoss(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, _ := openLogged(t, streamlog.Config{Dir: dir})
	for _, name := range []string{"a", "b.c"} {
		if err := l.Create(ctx, name, "kinesis", 1); err != nil {
			t.Fatal(err)
		}
		fill(t, l, name, 50, 10)
	}
	l.Close()
	for round := range 2 {
		l, logs := openLogged(t, streamlog.Config{Dir: dir})
		if round == 1 {
			if err := l.Delete(ctx, "b.c"); err != nil {
				t.Fatal(err)
			}
			if err := l.Create(ctx, "b.c", "kinesis", 1); err != nil {
				t.Fatal(err)
			}
		}
		fill(t, l, "a", 5, 10)
		fill(t, l, "b.c", 5, 10)
		checkLost(t, l, "a", 0, 0, 0)
		checkLost(t, l, "b.c", 0, 0, 0)
		l.Close()
		if lines := append(logs.Lines("ERROR"), logs.Lines("WARN")...); len(lines) != 0 {
			t.Fatalf("restart %d logged:\n%s", round+1, strings.Join(lines, "\n"))
		}
	}
	l, logs := openLogged(t, streamlog.Config{Dir: dir})
	defer l.Close()
	checkLost(t, l, "b.c", 0, 0, 0)
	if lines := append(logs.Lines("ERROR"), logs.Lines("WARN")...); len(lines) != 0 {
		t.Fatalf("the last restart logged:\n%s", strings.Join(lines, "\n"))
	}
}

// TestLossesOnAnExternalServer: with the log on a nats-server process,
// batches that vanish from a stream's storage (here deleted behind the
// log's back) are reported when the stream is next described (whatever
// dots its name has), kept across
// a reconnection in the server's bucket, shown by every node sharing the
// server, and acknowledged on one node for all.
func TestLossesOnAnExternalServer(t *testing.T) {
	ctx := context.Background()
	cfg := streamlog.Config{URL: natstest.Start(t)}
	l, logs := openLogged(t, cfg)
	const name = ".odd..name." // dots where bucket keys cannot have them
	if err := l.Create(ctx, name, "firehose", 1); err != nil {
		t.Fatal(err)
	}
	fill(t, l, name, 10, 10)
	checkLost(t, l, name, 0, 0, 0)
	nc, err := nats.Connect(cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(ctx, "rf_~odd~~name~")
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(3); seq <= 5; seq++ {
		if err := s.DeleteMsg(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	checkLost(t, l, name, 3, 3, 5)
	if errs := logs.Lines("ERROR", "lost records", "stream="+name, "batches=3"); len(errs) != 1 {
		t.Errorf("errors logged:\n%s\nwant one saying that clicks lost 3 batches", strings.Join(logs.Lines("ERROR"), "\n"))
	}
	l.Close()

	l, logs = openLogged(t, cfg)
	defer l.Close()
	checkLost(t, l, name, 3, 3, 5)
	if errs := logs.Lines("ERROR"); len(errs) != 0 {
		t.Errorf("reconnecting logged errors:\n%s", strings.Join(errs, "\n"))
	}
	other, _ := openLogged(t, cfg) // another node sharing the server
	defer other.Close()
	checkLost(t, other, name, 3, 3, 5)
	if _, err := l.Acknowledge(ctx, name); err != nil {
		t.Fatal(err)
	}
	checkLost(t, l, name, 0, 0, 0)
	checkLost(t, other, name, 0, 0, 0)
}
