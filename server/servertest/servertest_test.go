package servertest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"

	"github.com/riffle-sql/riffle/internal/leakcheck"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
)

// TestMain fails the package's tests if a server outlives its test.
func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// TestAServerClosedByItsTestRestartsOnItsData: the clients reach the
// server, a key it does not know is refused, and a server the test closes
// (closing it again does nothing) leaves its data for the next one.
func TestAServerClosedByItsTestRestartsOnItsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := servertest.Start(t, server.Config{Data: dir, Credentials: map[string]string{"AKID": "s3cret"}})
	c := srv.Clients("AKID", "s3cret")
	if _, err := c.Firehose.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Clients("AKID", "wrong").Apps.ListApplications(ctx, &kinesisanalytics.ListApplicationsInput{}); err == nil {
		t.Fatal("a wrong secret was accepted")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("a second close: %v", err)
	}
	again := servertest.Start(t, server.Config{Data: dir})
	list, err := again.Clients("AKID", "any").Firehose.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(list.DeliveryStreamNames); got != "[kept]" {
		t.Fatalf("after a restart: delivery streams %s, want [kept]", got)
	}
	if _, err := again.Apps.List(ctx); err != nil {
		t.Fatalf("the assembly's applications: %v", err)
	}
}
