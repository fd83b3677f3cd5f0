// Package awskinesis reads Kinesis data streams that are not riffle's own:
// on AWS, or on any server that speaks the Kinesis API (kinesalite in the
// tests), through aws-sdk-go-v2. A Reader reads every shard of a stream
// at once, each shard in a goroutine of its own, within the service's
// limits, follows resharding (a closed parent's children are read once the
// parent is read to its end, as the KCL does), and tells how far the
// stream has been read: the watermark, before which nothing that arrived
// is still unread.
package awskinesis

import (
	"fmt"
	"regexp"
)

// ARN names a Kinesis data stream.
type ARN struct {
	Partition, Region, Account, Name string
}

var arnPattern = regexp.MustCompile(`^arn:(aws[a-z-]*):kinesis:([a-z0-9-]+):([0-9]{12}):stream/([a-zA-Z0-9_.-]{1,128})$`)

// ParseARN reads arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME.
func ParseARN(s string) (ARN, error) {
	m := arnPattern.FindStringSubmatch(s)
	if m == nil {
		return ARN{}, fmt.Errorf("%q is not a Kinesis data stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)", s)
	}
	return ARN{Partition: m[1], Region: m[2], Account: m[3], Name: m[4]}, nil
}

func (a ARN) String() string {
	return fmt.Sprintf("arn:%s:kinesis:%s:%s:stream/%s", a.Partition, a.Region, a.Account, a.Name)
}
