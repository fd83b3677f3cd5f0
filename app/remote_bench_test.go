package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/riffle-sql/riffle/awsclients"
	"github.com/riffle-sql/riffle/awskinesis"
	"github.com/riffle-sql/riffle/internal/kinesalite"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// BenchmarkRemoteKinesisInput measures records per second from a 4-shard
// stream of kinesalite into the lab application: the records are put
// first (not measured), then the application starts from TRIM_HORIZON
// and the time runs until it has fed every one. Run it with a fixed count
// (putting into kinesalite is slow):
//
//	go test -run '^$' -bench RemoteKinesisInput -benchtime 40000x ./app
func BenchmarkRemoteKinesisInput(b *testing.B) {
	ctx := context.Background()
	k := kinesalite.Start(b)
	k.CreateStream(b, "beacons", 4)
	entries := make([]types.PutRecordsRequestEntry, 0, 500)
	for i := range b.N {
		action := "Impression"
		if i%2 == 1 {
			action = "Click"
		}
		entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint(i)),
			Data: []byte(`{"browseraction":"` + action + `","site":"yourwebsiteurl.domain.com"}`)})
		if len(entries) == cap(entries) || i == b.N-1 {
			out, err := k.Client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("beacons"), Records: entries})
			if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
				b.Fatalf("put: %v", err)
			}
			entries = entries[:0]
		}
	}
	b.Setenv("AWS_ACCESS_KEY_ID", kinesalite.AccessKey)
	b.Setenv("AWS_SECRET_ACCESS_KEY", kinesalite.SecretKey)
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	client := awskinesis.New(awsclients.New(awsclients.Endpoints{"kinesis": k.URL}))
	l := streamlogtest.Open(b)
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond, Kinesis: client, KinesisTolerance: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "beacons", Kind: "kinesis", ResourceARN: kinesalite.ARN("beacons"), Schema: labSchema, Parallelism: 1}
	start := startTimed(b, m, in)
	reportRead(b, m, start)
}
