package app

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/logtest"
)

// TestDamagedStateIsReportedAndRepairedNotFatal: a definition that does
// not parse, an application stored RUNNING without an input, a checkpoint
// and an acknowledgement record that do not parse: the manager opens and
// runs the sound application, reports each damaged one with its reason
// (and a start that would need the damaged state refuses, naming riffle
// repair), and the repairs Diagnose lists make everything usable again.
func TestDamagedStateIsReportedAndRepairedNotFatal(t *testing.T) {
	l, ctx := setup(t)
	counts := newRecorder()
	fn := func() Options {
		return Options{Poll: 10 * time.Millisecond, Functions: map[string]destination.Function{"counts": counts}}
	}
	m1, err := NewManager(ctx, l, fn())
	if err != nil {
		t.Fatal(err)
	}
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	out := Output{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: LambdaOutput, Target: "counts"}
	for _, name := range []string{"sound", "ckpt", "acks"} {
		if _, err := m1.Create(ctx, Application{Name: name, Code: countsSQL, Inputs: []Input{in}, Outputs: []Output{out}}); err != nil {
			t.Fatal(err)
		}
		if err := m1.Start(ctx, name, Now); err != nil {
			t.Fatal(err)
		}
	}
	if err := m1.Stop(ctx, "ckpt"); err != nil {
		t.Fatal(err)
	}
	if err := m1.Stop(ctx, "acks"); err != nil {
		t.Fatal(err)
	}
	m1.Close()
	// The damage, as a hand edit or a bad disk would leave it.
	garbage := []byte(`{"Name": "broken", "Status": RUNN`)
	if err := m1.store.defs.Put(ctx, "broken", garbage); err != nil {
		t.Fatal(err)
	}
	if err := m1.store.defs.Put(ctx, "inputless", []byte(`{"Name":"inputless","Status":"RUNNING","Version":1}`)); err != nil {
		t.Fatal(err)
	}
	head, _, err := m1.store.head(ctx, "ckpt")
	if err != nil {
		t.Fatal(err)
	}
	if err := m1.store.blobs.Put(ctx, head.Object, garbage); err != nil {
		t.Fatal(err)
	}
	acks, _ := m1.Get(ctx, "acks")
	if err := m1.store.acks.Put(ctx, ackKey(acks, acks.Outputs[0].ID), garbage); err != nil {
		t.Fatal(err)
	}

	var log logtest.Buffer
	opts := fn()
	opts.Logger = log.Logger()
	m2, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatalf("one damaged definition kept the manager from opening: %v", err)
	}
	defer m2.Close()
	<-m2.Resumed()
	if _, err := m2.Streams(ctx, "sound"); err != nil {
		t.Fatalf("the sound application does not run: %v", err)
	}
	if !strings.Contains(log.String(), "broken") || !strings.Contains(log.String(), "riffle repair") {
		t.Fatalf("the damaged definition is not reported:\n%s", log.String())
	}
	if _, err := m2.Get(ctx, "broken"); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Get of the damaged application: %v, want ErrDamaged", err)
	}
	if a, _ := m2.Get(ctx, "inputless"); a.Status != Ready || a.Failure == nil {
		t.Fatalf("the RUNNING application without an input: %s, %+v; want READY with the reason", a.Status, a.Failure)
	}
	for _, name := range []string{"ckpt", "acks"} {
		err := m2.Start(ctx, name, LastStoppedPoint)
		if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "riffle repair") {
			t.Fatalf("starting %s on damaged state: %v, want ErrDamaged naming riffle repair", name, err)
		}
	}
	m2.Close()

	repairs, err := m2.store.Diagnose(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, r := range repairs {
		problems = append(problems, r.Problem)
		if err := r.Apply(ctx); err != nil {
			t.Fatal(err)
		}
	}
	joined := strings.Join(problems, "\n")
	for _, want := range []string{"definition of application broken", "checkpoint of application ckpt", "acknowledgements ack" + "s="} {
		if !strings.Contains(joined, want) {
			t.Fatalf("Diagnose found:\n%s\nwant a problem with %q", joined, want)
		}
	}
	if again, _ := m2.store.Diagnose(ctx, time.Now()); len(again) != 0 {
		t.Fatalf("after the repairs: %d problems left", len(again))
	}
	m3, err := NewManager(ctx, l, fn())
	if err != nil {
		t.Fatal(err)
	}
	defer m3.Close()
	for _, name := range []string{"ckpt", "acks", "inputless"} {
		if name == "inputless" {
			continue // it has no input: READY is all it can be
		}
		if err := m3.Start(ctx, name, LastStoppedPoint); err != nil {
			t.Fatalf("starting %s after the repair: %v", name, err)
		}
	}
	if _, err := m3.Get(ctx, "broken"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the damaged definition after the repair: %v, want it gone", err)
	}
}
