package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/s3test"
	"github.com/riffle-sql/riffle/s3store"
)

// TestReferenceDataFromS3: on a server set up for S3, a reference data
// source whose bucket has no directory under the buckets directory is read
// from the S3 bucket (a real S3-compatible server), with the same reload
// semantics as a file: loaded at each start and when the source changes;
// a missing object is refused; a bucket that has a directory is still read
// from the directory.
func TestReferenceDataFromS3(t *testing.T) {
	l, ctx := setup(t)
	s3srv := s3test.Start(t, "refs")
	s3srv.Put(t, "refs", "lab/labels.csv", []byte("Click,clicked\nImpression,seen\n"))
	buckets := t.TempDir()
	os.MkdirAll(filepath.Join(buckets, "local"), 0o755)
	os.WriteFile(filepath.Join(buckets, "local", "labels.csv"), []byte("Click,from-dir\nImpression,from-dir\n"), 0o644)
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond, Buckets: buckets, S3: s3store.NewClient(s3srv.Client, s3srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	if _, err := m.Create(ctx, Application{Name: "lab", Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	ref := Reference{TableName: "labels", Bucket: "refs", Key: "lab/labels.csv", Schema: labelsSchema}
	missing := ref
	missing.Key = "lab/nope.csv"
	if err := m.AddReference(ctx, "lab", 1, missing); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "nope.csv") {
		t.Fatalf("a missing S3 object: %v", err)
	}
	startJoin(t, m, ref)
	labels := func() map[string]bool { return joinedLabels(t, m, l) }
	if got := labels(); !got[`"ACTION":"Click","LABEL":"clicked"}`] || !got[`"ACTION":"Impression","LABEL":"seen"}`] {
		t.Fatalf("joined rows: %v", got)
	}
	// Loaded at each start: a changed object shows after a restart.
	s3srv.Put(t, "refs", "lab/labels.csv", []byte("Click,CLICKED\nImpression,SEEN\n"))
	if err := m.Stop(ctx, "lab"); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	if got := labels(); !got[`"ACTION":"Click","LABEL":"CLICKED"}`] {
		t.Fatalf("joined rows after the object changed: %v", got)
	}
	// Pointing the source at another object reloads it in the running
	// application; at a bucket the directory has, it reads the file.
	s3srv.Put(t, "refs", "lab/other.csv", []byte("Click,other\nImpression,other\n"))
	for _, c := range []struct{ bucket, key, want string }{{"refs", "lab/other.csv", "other"}, {"local", "labels.csv", "from-dir"}} {
		def, _ := m.Get(ctx, "lab")
		if err := m.Reconfigure(ctx, "lab", def.Version, func(a *Application) error {
			a.References[0].Bucket, a.References[0].Key = c.bucket, c.key
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := labels(); !got[`"ACTION":"Click","LABEL":"`+c.want+`"}`] {
			t.Fatalf("joined rows from %s/%s: %v", c.bucket, c.key, got)
		}
	}
}
