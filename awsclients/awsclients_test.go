package awsclients

import (
	"strings"
	"testing"
)

func TestEndpointsAreServiceEqualsURL(t *testing.T) {
	for _, c := range []struct{ in, service, url, err string }{
		{"kinesis=http://127.0.0.1:4567", "kinesis", "http://127.0.0.1:4567", ""},
		{"Lambda=https://lambda.example", "lambda", "https://lambda.example", ""},
		{"s3=http://localhost:9000/", "s3", "http://localhost:9000/", ""},
		{"kinesis", "", "", "want SERVICE=URL"},
		{"sqs=http://x", "", "", `unknown service "sqs"`},
		{"kinesis=localhost:4567", "", "", "absolute http or https URL"},
		{"kinesis=", "", "", "absolute http or https URL"},
	} {
		service, url, err := ParseEndpoint(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one saying %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || service != c.service || url != c.url {
			t.Errorf("%q: %q %q %v, want %q %q", c.in, service, url, err, c.service, c.url)
		}
	}
}

func TestFunctionARNs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Function
		ok   bool
	}{
		{"arn:aws:lambda:eu-west-1:123456789012:function:alerts", Function{"eu-west-1", "123456789012", "alerts", ""}, true},
		{"arn:aws:lambda:us-east-1:123456789012:function:alerts:$LATEST", Function{"us-east-1", "123456789012", "alerts", "$LATEST"}, true},
		{"arn:aws:lambda:us-east-1:123456789012:function:alerts:prod", Function{"us-east-1", "123456789012", "alerts", "prod"}, true},
		{"arn:aws:lambda:us-east-1:123456789012:layer:x", Function{}, false},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/x", Function{}, false},
		{"arn:aws:lambda::123456789012:function:alerts", Function{}, false},
		// A region that would put another host in the endpoint's URL.
		{"arn:aws:lambda:x@169.254.169.254#:123456789012:function:alerts", Function{}, false},
		{"arn:aws:lambda:10.0.0.1/:123456789012:function:alerts", Function{}, false},
		{"alerts", Function{}, false},
	} {
		got, err := ParseFunctionARN(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%q: %+v %v, want %+v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

// TestStreamARNsWhoseRegionIsNoRegionAreRefused: the region of a stream's
// ARN names the AWS endpoint's host; one that would put another host in
// its URL (user information, a path, a fragment, a dotted name) is no
// region.
func TestStreamARNsWhoseRegionIsNoRegionAreRefused(t *testing.T) {
	if st, err := ParseStreamARN("arn:aws:kinesis:eu-west-1:123456789012:stream/s"); err != nil || st != (Stream{"kinesis", "eu-west-1", "123456789012", "s"}) {
		t.Fatalf("a stream ARN: %+v %v", st, err)
	}
	for _, region := range []string{"x@169.254.169.254#", "10.0.0.1/", "evil.example.com", "a?b", ""} {
		for _, s := range []string{"arn:aws:kinesis:" + region + ":123456789012:stream/s", "arn:aws:firehose:" + region + ":123456789012:deliverystream/s"} {
			if st, err := ParseStreamARN(s); err == nil {
				t.Errorf("%s: %+v", s, st)
			}
		}
	}
}
