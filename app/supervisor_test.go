package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/heldurl"
	"github.com/riffle-sql/riffle/internal/lambdatest"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/streamlog"
)

// TestASlowReferenceHoldsUpNoOtherCall: while one application's reference
// data source is being fetched from a URL that does not answer, every call
// about another application, the list, and reads of the same application
// go on; the slow change completes once the URL answers.
func TestASlowReferenceHoldsUpNoOtherCall(t *testing.T) {
	l, ctx := setup(t)
	slow := heldurl.New(t, "Click,clicked\nImpression,seen\n", 1)
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond, AllowPrivateURLs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	for _, name := range []string{"other", "waiting", "slow"} {
		if _, err := m.Create(ctx, Application{Name: name, Code: countsSQL, Inputs: []Input{in}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Start(ctx, "other", Now); err != nil {
		t.Fatal(err)
	}
	ref := Reference{TableName: "labels", Key: slow.URL + "/labels.csv", Schema: record.Schema{
		RecordFormat:  record.RecordFormat{RecordFormatType: record.CSV, MappingParameters: &record.MappingParameters{CSVMappingParameters: &record.CSVMappingParameters{RecordRowDelimiter: "\n", RecordColumnDelimiter: ","}}},
		RecordColumns: []record.RecordColumn{{Name: "action", SqlType: "VARCHAR(16)"}, {Name: "label", SqlType: "VARCHAR(16)"}},
	}}
	added := make(chan error, 1)
	go func() { added <- m.AddReference(ctx, "slow", 1, ref) }()
	<-slow.Requested()

	slow.Meanwhile(t, "DescribeApplication of another application", func() error {
		_, err := m.Get(ctx, "other")
		return err
	})
	slow.Meanwhile(t, "DescribeApplication of the application being updated", func() error {
		a, err := m.Get(ctx, "slow")
		if err == nil && a.Version != 1 {
			err = errors.New("the update shows before it is done")
		}
		return err
	})
	slow.Meanwhile(t, "ListApplications", func() error {
		apps, err := m.List(ctx)
		if err == nil && len(apps) != 3 {
			err = errors.New("not every application is listed")
		}
		return err
	})
	slow.Meanwhile(t, "a tap on another application", func() error {
		recent, rows, cancel, err := m.Tap(context.Background(), "other", "DESTINATION_SQL_STREAM")
		if err != nil {
			return err
		}
		defer cancel()
		send(t, l, 2)
		for len(recent) == 0 {
			recent = append(recent, <-rows)
		}
		return nil
	})
	slow.Meanwhile(t, "starting, stopping and changing another application", func() error {
		if err := m.Start(ctx, "waiting", Now); err != nil {
			return err
		}
		if err := m.Stop(ctx, "waiting"); err != nil {
			return err
		}
		return m.UpdateCode(ctx, "waiting", 1, countsSQL+"\n")
	})
	select {
	case err := <-added:
		t.Fatalf("the reference was added before its URL answered: %v", err)
	default:
	}
	slow.Release()
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	if a, err := m.Get(ctx, "slow"); err != nil || len(a.References) != 1 || a.Version != 2 {
		t.Fatalf("after the fetch: %+v, %v", a, err)
	}
}

// failingDeletes makes the checkpoint bucket's deletes fail while on.
type failingDeletes struct {
	objects
	on atomic.Bool
}

func (f *failingDeletes) Delete(ctx context.Context, key string) error {
	if f.on.Load() {
		return errors.New("injected: the checkpoint bucket refuses deletes")
	}
	return f.objects.Delete(ctx, key)
}

// TestADeleteThatCannotRemoveTheCheckpointSaysSo: an application stops
// with rows its endpoint has not taken (they wait in its checkpoint). Its
// delete cannot remove the checkpoint: the error is reported and the
// application stays. Even if its definition goes anyway (as a crash
// between the two would leave it), a new application of the same name
// never sends the old one's rows; deleting it works once the bucket does.
func TestADeleteThatCannotRemoveTheCheckpointSaysSo(t *testing.T) {
	l, ctx := setup(t)
	fn := lambdatest.New(t)
	fn.Down.Store(true)
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond, Checkpoint: 20 * time.Millisecond, Drain: 10 * time.Millisecond, Delivery: fastDelivery, AllowPrivateURLs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	faults := &failingDeletes{objects: m.store.blobs}
	m.store.blobs = faults
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	def := Application{Name: "lab", Code: timedCountsSQL, Inputs: []Input{in},
		Outputs: []Output{{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: LambdaOutput, Target: fn.URL}}}
	if _, err := m.Create(ctx, def); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	send(t, l, 4) // Click and Impression
	waitUntil(t, "the endpoint refusing the old application's rows", func() bool {
		_, refused := fn.Counts()
		return refused > 0
	})
	if err := m.Stop(ctx, "lab"); err != nil {
		t.Fatal(err)
	}
	old, err := m.Get(ctx, "lab")
	if err != nil {
		t.Fatal(err)
	}
	if c, _, ok, err := m.store.LoadCheckpoint(ctx, old); err != nil || !ok || len(c.Outputs) == 0 || len(c.Outputs["1.1"].Pending) == 0 {
		t.Fatalf("the stopped application's checkpoint holds no undelivered rows (%v): the test proves nothing", err)
	}

	faults.on.Store(true)
	err = m.Delete(ctx, "lab", time.Time{})
	if err == nil || !strings.Contains(err.Error(), "checkpoint") {
		t.Fatalf("a delete that could not remove the checkpoint: %v, want an error saying so", err)
	}
	if a, err := m.Get(ctx, "lab"); err != nil || a.Status != Ready {
		t.Fatalf("after the failed delete the application is %+v, %v; want it READY, to delete again", a, err)
	}
	// The definition goes anyway, the checkpoint and acknowledgements stay.
	if err := m.store.defs.Delete(ctx, "lab"); err != nil {
		t.Fatal(err)
	}
	faults.on.Store(false)
	fn.Down.Store(false)
	if _, err := m.Create(ctx, def); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "lab", LastStoppedPoint); err != nil {
		t.Fatal(err)
	}
	var recs []streamlog.Record
	for range 3 {
		recs = append(recs, streamlog.Record{Data: []byte(`{"browseraction":"Purchase","site":"x"}`), Arrival: time.Now()})
	}
	if _, err := l.Append(ctx, "clicks", 0, recs); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the new application's row", func() bool { return len(fn.Rows()) > 0 })
	if err := m.Stop(ctx, "lab"); err != nil { // drains what is left
		t.Fatal(err)
	}
	for _, row := range fn.Rows() {
		if !strings.Contains(row, `"ACTION":"Purchase"`) {
			t.Fatalf("the new application sent the deleted one's row %s", row)
		}
	}
	if err := m.Delete(ctx, "lab", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, "lab"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after the delete: %v", err)
	}
}

// TestListingWhileApplicationsAreDeleted: ListApplications while others
// are deleted lists some of them, never fails.
func TestListingWhileApplicationsAreDeleted(t *testing.T) {
	l, ctx := setup(t)
	m, err := NewManager(ctx, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const n = 30
	for i := range n {
		if _, err := m.Create(ctx, Application{Name: fmt.Sprintf("app%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	deleted := make(chan error, 1)
	go func() {
		for i := range n {
			if err := m.Delete(ctx, fmt.Sprintf("app%02d", i), time.Time{}); err != nil {
				deleted <- err
				return
			}
		}
		deleted <- nil
	}()
	for {
		apps, err := m.List(ctx)
		if err != nil {
			t.Fatalf("listing while applications are deleted: %v", err)
		}
		if len(apps) == 0 {
			break
		}
	}
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
}

// TestAManagerAnswersWhileItResumes: applications that were running resume
// in the background: while one of them waits for its reference data, the
// manager is open and answers, its Resumed channel still open; once the
// data comes, the application runs and a tap that came early gets it.
func TestAManagerAnswersWhileItResumes(t *testing.T) {
	l, ctx := setup(t)
	// The third fetch (after those of AddReference and Start) is the resume's.
	slow := heldurl.New(t, "Click,clicked\nImpression,seen\n", 3)
	m1, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond, AllowPrivateURLs: true})
	if err != nil {
		t.Fatal(err)
	}
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	if _, err := m1.Create(ctx, Application{Name: "lab", Code: countsSQL, Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	ref := Reference{TableName: "labels", Key: slow.URL + "/labels.csv", Schema: record.Schema{
		RecordFormat:  record.RecordFormat{RecordFormatType: record.CSV, MappingParameters: &record.MappingParameters{CSVMappingParameters: &record.CSVMappingParameters{RecordRowDelimiter: "\n", RecordColumnDelimiter: ","}}},
		RecordColumns: []record.RecordColumn{{Name: "action", SqlType: "VARCHAR(16)"}, {Name: "label", SqlType: "VARCHAR(16)"}},
	}}
	if err := m1.AddReference(ctx, "lab", 1, ref); err != nil {
		t.Fatal(err)
	}
	if err := m1.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	m1.Close()

	opened := make(chan *Manager, 1)
	go func() {
		m2, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond, AllowPrivateURLs: true})
		if err != nil {
			t.Error(err)
		}
		opened <- m2
	}()
	var m2 *Manager
	slow.Meanwhile(t, "opening a manager while an application resumes", func() error {
		m2 = <-opened
		return nil
	})
	defer m2.Close()
	<-slow.Requested()
	slow.Meanwhile(t, "a call while an application resumes", func() error {
		_, err := m2.Create(ctx, Application{Name: "another"})
		return err
	})
	select {
	case <-m2.Resumed():
		t.Fatal("resumed before the reference data came")
	default:
	}
	tapped := make(chan error, 1)
	go func() {
		_, _, cancel, err := m2.Tap(ctx, "lab", "DESTINATION_SQL_STREAM")
		if err == nil {
			cancel()
		}
		tapped <- err
	}()
	slow.Release()
	if err := <-tapped; err != nil {
		t.Fatalf("a tap that came while the application resumed: %v", err)
	}
	<-m2.Resumed()
}
