package s3test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestS3rverStoresAndReturnsObjects: a bucket made at start and one made
// later take objects through the SDK and give them back, listed.
func TestS3rverStoresAndReturnsObjects(t *testing.T) {
	s := Start(t, "first")
	s.CreateBucket(t, "second")
	s.Put(t, "first", "a/b.txt", []byte("hello"))
	s.Put(t, "second", "c", []byte("world"))
	got, err := s.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("first"), Key: aws.String("a/b.txt")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "hello" {
		t.Errorf("got %q", body)
	}
	objs := s.Objects(t, "second")
	if len(objs) != 1 || !bytes.Equal(objs["c"], []byte("world")) {
		t.Errorf("second holds %q", objs)
	}
	if _, err := s.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("first"), Key: aws.String("missing")}); err == nil {
		t.Error("a missing key was found")
	}
}
