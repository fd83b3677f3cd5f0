package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	katypes "github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/internal/heldurl"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
)

// TestAReferenceURLThatDoesNotAnswerHoldsUpNoOneElse: while
// AddApplicationReferenceDataSource waits on a URL that does not answer
// (it would for up to 30 s), DescribeApplication of another application,
// ListApplications and a tap on another running application answer; the
// slow call completes once the URL answers. No clock margin is measured:
// the URL answers only when the test lets it, so a call that waited for it
// would never answer before, and the bound only turns such a hang into a
// failure.
func TestAReferenceURLThatDoesNotAnswerHoldsUpNoOneElse(t *testing.T) {
	srv := servertest.Start(t, server.Config{Apps: app.Options{Poll: 10 * time.Millisecond, AllowPrivateURLs: true}})
	c := srv.Clients("AKIDEXAMPLE", "secret")
	ctx := context.Background()
	slow := heldurl.New(t, "Click,clicked\nImpression,seen\n", 1)

	const fh = "arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks"
	if _, err := c.Firehose.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("clicks")}); err != nil {
		t.Fatal(err)
	}
	schema := &katypes.SourceSchema{RecordFormat: &katypes.RecordFormat{RecordFormatType: katypes.RecordFormatTypeJson},
		RecordColumns: []katypes.RecordColumn{{Name: aws.String("browseraction"), SqlType: aws.String("VARCHAR(16)"), Mapping: aws.String("$.browseraction")}}}
	for _, name := range []string{"other", "slow"} {
		if _, err := c.Apps.CreateApplication(ctx, &kinesisanalytics.CreateApplicationInput{ApplicationName: aws.String(name),
			ApplicationCode: aws.String(`CREATE STREAM "OUT" (a VARCHAR(16)); CREATE PUMP p AS INSERT INTO "OUT" SELECT STREAM "browseraction" FROM "SOURCE_SQL_STREAM_001";`),
			Inputs: []katypes.Input{{NamePrefix: aws.String("SOURCE_SQL_STREAM"), InputSchema: schema,
				KinesisFirehoseInput: &katypes.KinesisFirehoseInput{ResourceARN: aws.String(fh), RoleARN: aws.String("arn:aws:iam::000000000000:role/r")}}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Apps.StartApplication(ctx, &kinesisanalytics.StartApplicationInput{ApplicationName: aws.String("other"),
		InputConfigurations: []katypes.InputConfiguration{{Id: aws.String("1.1"),
			InputStartingPositionConfiguration: &katypes.InputStartingPositionConfiguration{InputStartingPosition: katypes.InputStartingPositionNow}}}}); err != nil {
		t.Fatal(err)
	}
	tapCtx, endTap := context.WithCancel(ctx)
	defer endTap()
	tp := follow(t, tapCtx, srv.URL, "other", "OUT")

	added := make(chan error, 1)
	go func() {
		_, err := c.Apps.AddApplicationReferenceDataSource(ctx, &kinesisanalytics.AddApplicationReferenceDataSourceInput{
			ApplicationName: aws.String("slow"), CurrentApplicationVersionId: aws.Int64(1),
			ReferenceDataSource: &katypes.ReferenceDataSource{TableName: aws.String("labels"),
				S3ReferenceDataSource: &katypes.S3ReferenceDataSource{BucketARN: aws.String("arn:aws:s3:::refs"), FileKey: aws.String(slow.URL + "/labels.csv"),
					ReferenceRoleARN: aws.String("arn:aws:iam::000000000000:role/r")},
				ReferenceSchema: &katypes.SourceSchema{RecordFormat: &katypes.RecordFormat{RecordFormatType: katypes.RecordFormatTypeCsv,
					MappingParameters: &katypes.MappingParameters{CSVMappingParameters: &katypes.CSVMappingParameters{RecordRowDelimiter: aws.String("\n"), RecordColumnDelimiter: aws.String(",")}}},
					RecordColumns: []katypes.RecordColumn{{Name: aws.String("action"), SqlType: aws.String("VARCHAR(16)")}, {Name: aws.String("label"), SqlType: aws.String("VARCHAR(16)")}}}}})
		added <- err
	}()
	<-slow.Requested()

	slow.Meanwhile(t, "DescribeApplication of another application", func() error {
		_, err := c.Apps.DescribeApplication(ctx, &kinesisanalytics.DescribeApplicationInput{ApplicationName: aws.String("other")})
		return err
	})
	slow.Meanwhile(t, "ListApplications", func() error {
		_, err := c.Apps.ListApplications(ctx, &kinesisanalytics.ListApplicationsInput{})
		return err
	})
	slow.Meanwhile(t, "a row on another application's tap", func() error {
		if _, err := c.Firehose.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("clicks"),
			Record: &fhtypes.Record{Data: []byte(`{"browseraction":"Click"}`)}}); err != nil {
			return err
		}
		for tp.scan.Scan() {
			if strings.HasPrefix(tp.scan.Text(), "data: ") {
				return nil
			}
		}
		return fmt.Errorf("the tap ended: %v", tp.scan.Err())
	})
	select {
	case err := <-added:
		t.Fatalf("the reference data source was added before its URL answered: %v", err)
	default:
	}
	slow.Release()
	if err := <-added; err != nil {
		t.Fatal(err)
	}
}
