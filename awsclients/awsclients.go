// Package awsclients makes the aws-sdk-go-v2 clients Riffle uses to reach
// the AWS resources its users already have (functions, streams, buckets),
// with the default credential chain and, per service, an endpoint that
// overrides AWS's (any compatible server: a Lambda runtime emulator,
// kinesalite, an S3-compatible store). It is the one place Riffle loads
// the SDK's configuration: `riffle serve` makes one Factory for outputs,
// Kinesis inputs and buckets alike.
package awsclients

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Services whose endpoint may be overridden.
var services = []string{"firehose", "kinesis", "lambda", "s3"}

// Endpoints maps a service ("kinesis", "lambda", ...) to the URL that
// stands for AWS's endpoint of it.
type Endpoints map[string]string

// ParseEndpoint reads SERVICE=URL, as `riffle serve --aws-endpoint` takes it.
func ParseEndpoint(s string) (service, endpoint string, err error) {
	service, endpoint, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("aws endpoint %q: want SERVICE=URL (services: %s)", s, strings.Join(services, ", "))
	}
	service = strings.ToLower(strings.TrimSpace(service))
	if i := sort.SearchStrings(services, service); i == len(services) || services[i] != service {
		return "", "", fmt.Errorf("aws endpoint %q: unknown service %q (services: %s)", s, service, strings.Join(services, ", "))
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("aws endpoint %q: want an absolute http or https URL", s)
	}
	return service, endpoint, nil
}

// Factory makes clients, one per service and region, sharing one
// configuration loaded (credentials, profile, environment) on first use.
// The SDK's own AWS_ENDPOINT_URL_<SERVICE> variables work too; an endpoint
// given here wins over them.
type Factory struct {
	endpoints Endpoints

	once sync.Once
	base aws.Config
	err  error

	lambdas   clients[*lambda.Client]
	kinesises clients[*kinesis.Client]
	firehoses clients[*firehose.Client]

	s3Once  sync.Once
	s3      *s3.Client
	s3Where string
	s3Err   error
}

// clients are one service's clients, by region.
type clients[T any] struct {
	mu       sync.Mutex
	byRegion map[string]T
}

// New makes a factory with the given endpoint overrides (nil: none).
func New(endpoints Endpoints) *Factory {
	return &Factory{endpoints: endpoints}
}

// Endpoint is the endpoint given for a service, if any.
func (f *Factory) Endpoint(service string) string { return f.endpoints[service] }

func (f *Factory) config(ctx context.Context) (aws.Config, error) {
	f.once.Do(func() {
		f.base, f.err = config.LoadDefaultConfig(context.WithoutCancel(ctx))
		if f.err != nil {
			f.err = fmt.Errorf("AWS configuration: %w", f.err)
		}
	})
	return f.base, f.err
}

// CheckCredentials says whether the default credential chain gives
// credentials, so that a resource on AWS is refused when configured rather
// than failing at every call.
func (f *Factory) CheckCredentials(ctx context.Context) error {
	cfg, err := f.config(ctx)
	if err != nil {
		return err
	}
	const hint = "no AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where a role is given)"
	if cfg.Credentials == nil {
		return errors.New(hint)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("%s: %w", hint, err)
	}
	return nil
}

// client is a service's client for a region, made once.
func client[T any](ctx context.Context, f *Factory, c *clients[T], region string, make func(aws.Config) T) (T, error) {
	var zero T
	cfg, err := f.config(ctx)
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.byRegion[region]; ok {
		return cl, nil
	}
	if c.byRegion == nil {
		c.byRegion = map[string]T{}
	}
	cfg = cfg.Copy()
	cfg.Region = region
	cl := make(cfg)
	c.byRegion[region] = cl
	return cl, nil
}

// endpoint is the override of a service, for its client's options.
func (f *Factory) endpoint(service string) *string {
	if e := f.endpoints[service]; e != "" {
		return aws.String(e)
	}
	return nil
}

// Lambda is a Lambda client for a region.
func (f *Factory) Lambda(ctx context.Context, region string) (*lambda.Client, error) {
	return client(ctx, f, &f.lambdas, region, func(cfg aws.Config) *lambda.Client {
		return lambda.NewFromConfig(cfg, func(o *lambda.Options) {
			if e := f.endpoint("lambda"); e != nil {
				o.BaseEndpoint = e
			}
		})
	})
}

// Kinesis is a Kinesis Data Streams client for a region.
func (f *Factory) Kinesis(ctx context.Context, region string) (*kinesis.Client, error) {
	return client(ctx, f, &f.kinesises, region, func(cfg aws.Config) *kinesis.Client {
		return kinesis.NewFromConfig(cfg, func(o *kinesis.Options) {
			if e := f.endpoint("kinesis"); e != nil {
				o.BaseEndpoint = e
			}
		})
	})
}

// Firehose is a Data Firehose client for a region.
func (f *Factory) Firehose(ctx context.Context, region string) (*firehose.Client, error) {
	return client(ctx, f, &f.firehoses, region, func(cfg aws.Config) *firehose.Client {
		return firehose.NewFromConfig(cfg, func(o *firehose.Options) {
			if e := f.endpoint("firehose"); e != nil {
				o.BaseEndpoint = e
			}
		})
	})
}

// The endpoint variables the SDK reads itself for S3: their presence tells
// that S3 is somewhere else than AWS (and wants path-style requests).
var s3EndpointVars = []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}

// S3 is the S3 client, made once, when something says where S3 is: an
// endpoint (given here, or the SDK's AWS_ENDPOINT_URL_S3 or
// AWS_ENDPOINT_URL unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true) or
// a region in the configuration; else nil, and no error. On an endpoint
// that is not AWS's, requests are path-style, as S3-compatible servers
// expect, and signed for us-east-1 when no region is configured (they take
// any). where says where requests go, for messages: "S3 at URL" or "S3 in
// REGION". Nothing is sent: credentials are looked up at the first
// request.
func (f *Factory) S3(ctx context.Context) (client *s3.Client, where string, err error) {
	f.s3Once.Do(func() {
		cfg, err := f.config(ctx)
		if err != nil {
			f.s3Err = err
			return
		}
		endpoint := f.endpoints["s3"]
		custom := endpoint
		if custom == "" && os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") != "true" {
			for _, v := range s3EndpointVars {
				if custom = os.Getenv(v); custom != "" {
					break
				}
			}
		}
		if custom == "" && cfg.Region == "" {
			return
		}
		cfg = cfg.Copy()
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
		f.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) {
			if endpoint != "" {
				o.BaseEndpoint = aws.String(endpoint)
			}
			o.UsePathStyle = custom != ""
			// S3-compatible servers rarely return checksums; the SDK would
			// log each response it cannot check.
			o.DisableLogOutputChecksumValidationSkipped = true
		})
		f.s3Where = "S3 in " + cfg.Region
		if custom != "" {
			f.s3Where = "S3 at " + custom
		}
	})
	return f.s3, f.s3Where, f.s3Err
}

// Stream is a Kinesis data stream or a Firehose delivery stream named by
// its ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME,
// arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME).
type Stream struct {
	Service, Region, Account, Name string
}

// validRegion says whether an ARN's region can be one: the SDK puts it in
// the endpoint's host unchecked, so "x@10.0.0.1#" would send the request,
// signed, to 10.0.0.1.
func validRegion(r string) bool {
	if r == "" || len(r) > 63 {
		return false
	}
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ParseStreamARN reads a data or delivery stream's ARN.
func ParseStreamARN(s string) (Stream, error) {
	a, err := arn.Parse(s)
	kind := map[string]string{"kinesis": "stream/", "firehose": "deliverystream/"}[a.Service]
	name, ok := strings.CutPrefix(a.Resource, kind)
	if err != nil || kind == "" || !ok || name == "" || !validRegion(a.Region) {
		return Stream{}, fmt.Errorf("%q is not a Kinesis stream or Firehose delivery stream ARN", s)
	}
	return Stream{Service: a.Service, Region: a.Region, Account: a.AccountID, Name: name}, nil
}

// Function is a Lambda function named by its ARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]).
type Function struct {
	Region, Account, Name, Qualifier string
}

// ParseFunctionARN reads a Lambda function's ARN.
func ParseFunctionARN(s string) (Function, error) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "lambda" || !validRegion(a.Region) {
		return Function{}, fmt.Errorf("%q is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", s)
	}
	parts := strings.Split(a.Resource, ":")
	if parts[0] != "function" || len(parts) < 2 || len(parts) > 3 || parts[1] == "" {
		return Function{}, fmt.Errorf("%q is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", s)
	}
	fn := Function{Region: a.Region, Account: a.AccountID, Name: parts[1]}
	if len(parts) == 3 {
		fn.Qualifier = parts[2]
	}
	return fn, nil
}
