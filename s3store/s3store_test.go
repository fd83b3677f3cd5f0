package s3store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/awsclients"
	"github.com/riffle-sql/riffle/internal/s3test"
)

// cleanEnvironment leaves the test no AWS configuration but what it sets.
func cleanEnvironment(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
}

// TestOpenFindsS3WhereTheEnvironmentSaysItIs: without an endpoint or a
// region there is no S3; an endpoint given (or AWS_ENDPOINT_URL_S3) is an
// S3-compatible server spoken to path-style with the default credential
// chain; a region alone is AWS.
func TestOpenFindsS3WhereTheEnvironmentSaysItIs(t *testing.T) {
	ctx := context.Background()
	s3srv := s3test.Start(t, "lake")
	cleanEnvironment(t)
	if c, err := Open(ctx, awsclients.New(nil)); c != nil || err != nil {
		t.Fatalf("no configuration: %v %v, want no S3", c, err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	for _, c := range []struct {
		name, flag, env string
	}{{"the flag", s3srv.URL, ""}, {"AWS_ENDPOINT_URL_S3", "", s3srv.URL}} {
		t.Setenv("AWS_ENDPOINT_URL_S3", c.env)
		client, err := Open(ctx, awsclients.New(awsclients.Endpoints{"s3": c.flag}))
		if err != nil || client == nil || client.String() != "S3 at "+s3srv.URL {
			t.Fatalf("%s: %v %v", c.name, client, err)
		}
		if err := client.Put(ctx, "lake", "k/"+c.name, []byte(c.name)); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got, err := client.Get(ctx, "lake", "k/"+c.name, 100); err != nil || string(got) != c.name {
			t.Fatalf("%s: %q %v", c.name, got, err)
		}
		if _, err := client.Get(ctx, "lake", "k/"+c.name, 3); err == nil || !strings.Contains(err.Error(), "larger than 3 bytes") {
			t.Errorf("%s: an object over the bound: %v", c.name, err)
		}
	}
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_REGION", "eu-west-1")
	if c, err := Open(ctx, awsclients.New(nil)); err != nil || c == nil || c.String() != "S3 in eu-west-1" {
		t.Fatalf("a region: %v %v", c, err)
	}
}

// TestABucketIsItsFolderWhenThereIsOne: with S3 set up, a bucket with a
// folder in the directory is the folder and one without is S3's; without
// S3 every bucket is a folder, created by the first write, and keys that
// would leave the directory are refused.
func TestABucketIsItsFolderWhenThereIsOne(t *testing.T) {
	ctx := context.Background()
	s3srv := s3test.Start(t, "remote")
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "local"), 0o755)
	b := Buckets{Dir: dir, S3: NewClient(s3srv.Client, s3srv.URL)}
	if err := b.Put(ctx, "local", "a/b.txt", []byte("here")); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "remote", "a/b.txt", []byte("there")); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "local", "a", "b.txt")); err != nil || string(data) != "here" {
		t.Errorf("the local bucket's object: %q %v", data, err)
	}
	if objs := s3srv.Objects(t, "remote"); string(objs["a/b.txt"]) != "there" {
		t.Errorf("the S3 bucket holds %q", objs)
	}
	if _, err := os.Stat(filepath.Join(dir, "remote")); !os.IsNotExist(err) {
		t.Errorf("the S3 bucket's object was written to the directory too: %v", err)
	}
	if b.Where("local") != filepath.Join(dir, "local") || b.Where("remote") != "s3://remote ("+s3srv.URL+")" {
		t.Errorf("Where: %q, %q", b.Where("local"), b.Where("remote"))
	}

	local := Buckets{Dir: dir}
	if err := local.Put(ctx, "new", "x", []byte("made")); err != nil {
		t.Fatal(err)
	}
	if got, err := local.Get(ctx, "new", "x", 10); err != nil || string(got) != "made" {
		t.Errorf("a new folder: %q %v", got, err)
	}
	if _, err := local.Get(ctx, "new", "missing", 10); !os.IsNotExist(err) {
		t.Errorf("a missing file: %v", err)
	}
	for _, bad := range [][2]string{{"new", "../local/a/b.txt"}, {"..", "x"}, {"a/b", "x"}, {"new", "/abs"}, {"new", "dir/"}} {
		if err := local.Put(ctx, bad[0], bad[1], nil); err == nil {
			t.Errorf("%s/%s was written", bad[0], bad[1])
		}
	}
	if _, err := (Buckets{}).Get(ctx, "b", "k", 10); err != ErrNoBuckets {
		t.Errorf("no directory and no S3: %v", err)
	}
}

// TestGetReadsNothingOutsideTheBucketsDirectory: a reference data
// source's bucket and key come through the API; none that would leave
// the directory reads a file, though the file is there.
func TestGetReadsNothingOutsideTheBucketsDirectory(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dir := filepath.Join(root, "buckets")
	os.MkdirAll(filepath.Join(dir, "b"), 0o755)
	secret := filepath.Join(root, "secret.txt")
	os.WriteFile(secret, []byte("secret"), 0o600)
	s3srv := s3test.Start(t, "remote")
	for _, b := range []Buckets{{Dir: dir}, {Dir: dir, S3: NewClient(s3srv.Client, s3srv.URL)}} {
		for _, bad := range [][2]string{{"b", "../../secret.txt"}, {"..", "secret.txt"}, {".", "../secret.txt"}, {"b/..", "../secret.txt"}, {"b", secret}, {"b", "/" + filepath.ToSlash(secret)}, {"b", "x/../../../secret.txt"}} {
			if got, err := b.Get(ctx, bad[0], bad[1], 100); err == nil || string(got) == "secret" {
				t.Errorf("bucket %q key %q (S3 %v): read %q, %v", bad[0], bad[1], b.S3 != nil, got, err)
			}
		}
	}
}
