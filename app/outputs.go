package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/riffle-sql/riffle/awsclients"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/safedial"
)

// ARN is an application's Amazon Resource Name on this server.
func (m *Manager) ARN(name string) string {
	return fmt.Sprintf("arn:aws:kinesisanalytics:%s:%s:application/%s", m.opts.Region, m.opts.Account, name)
}

// sinkFor checks an output and makes its sink (verify: the output is being
// configured, and resources on AWS are checked to exist; a run that opens
// only makes the clients): the format is JSON or CSV,
// the function is known (or an http(s) URL), the stream exists and is of
// its kind, the file stays under the output directory.
func (m *Manager) sinkFor(ctx context.Context, a Application, out Output, verify bool) (destination.Sink, destination.Format, error) {
	if out.Name == "" || len(out.Name) > 32 {
		return nil, "", fmt.Errorf("the in-application stream name %q must have 1 to 32 characters", out.Name)
	}
	format, err := destination.ParseFormat(out.Format)
	if err != nil {
		return nil, "", err
	}
	switch out.Kind {
	case LambdaOutput:
		if strings.HasPrefix(out.Target, "http://") || strings.HasPrefix(out.Target, "https://") {
			f, err := destination.NewAPIFunction(out.Target, m.urlClient, m.opts.Logger)
			if err != nil {
				return nil, "", err
			}
			return &destination.LambdaSink{Function: f, Name: f.String(), ApplicationARN: m.ARN(a.Name)}, format, nil
		}
		if f, ok := m.opts.Functions[out.Target]; ok {
			return &destination.LambdaSink{Function: f, Name: out.Target, ApplicationARN: m.ARN(a.Name)}, format, nil
		}
		f, err := m.lambdaOnAWS(ctx, out, verify)
		if err != nil {
			return nil, "", fmt.Errorf("this server has no function %q (start riffle serve with --function %s=URL or --notifier %s=CONFIG, or give an http(s) URL), and %w", out.Target, out.Target, out.Target, err)
		}
		return &destination.LambdaSink{Function: f, Name: out.ResourceARN, ApplicationARN: m.ARN(a.Name)}, format, nil
	case FirehoseOutput, KinesisOutput:
		info, err := m.log.Describe(ctx, out.Target)
		local := err == nil && info.Kind == out.Kind
		if st, perr := awsclients.ParseStreamARN(out.ResourceARN); perr == nil && (st.Account != m.opts.Account || st.Region != m.opts.Region) {
			local = false // another account's or region's: on AWS, whatever this server has by that name
		}
		if !local {
			what := map[string]string{FirehoseOutput: "delivery stream", KinesisOutput: "data stream"}[out.Kind]
			sink, awsErr := m.streamOnAWS(ctx, out, verify)
			if awsErr != nil {
				return nil, "", fmt.Errorf("%s %s does not exist on this server, and %w", what, out.Target, awsErr)
			}
			return sink, format, nil
		}
		if slices.ContainsFunc(a.Inputs, func(in Input) bool { return in.ARN == "" && in.Source == out.Target }) {
			return nil, "", fmt.Errorf("%s is the application's own input: its rows would feed it again", out.Target)
		}
		return &destination.StreamSink{Log: m.log, Name: out.Target, Kind: out.Kind, Clock: m.opts.Clock}, format, nil
	case FileOutput:
		if m.opts.OutputDir == "" {
			return nil, "", errors.New("this server has no directory for file outputs")
		}
		if !filepath.IsLocal(out.Target) {
			return nil, "", fmt.Errorf("file %q is not a relative path inside the output directory", out.Target)
		}
		return &destination.FileSink{Path: filepath.Join(m.opts.OutputDir, out.Target)}, format, nil
	}
	return nil, "", fmt.Errorf("destination kind %q: want a Lambda function, a delivery stream, a data stream or a file", out.Kind)
}

// lambdaOnAWS is the function of a Lambda output's ARN, invoked through
// the Lambda API in the ARN's region (by name: under the account of the
// credentials), when this server has AWS credentials.
func (m *Manager) lambdaOnAWS(ctx context.Context, out Output, verify bool) (destination.Function, error) {
	if m.opts.AWS == nil {
		return nil, errors.New("this server does not reach AWS")
	}
	fn, err := awsclients.ParseFunctionARN(out.ResourceARN)
	if err != nil {
		return nil, fmt.Errorf("cannot invoke it through the Lambda API: %w", err)
	}
	if verify {
		if err := m.opts.AWS.CheckCredentials(ctx); err != nil {
			return nil, fmt.Errorf("cannot invoke it through the Lambda API: %w", err)
		}
	}
	client, err := m.opts.AWS.Lambda(ctx, fn.Region)
	if err != nil {
		return nil, fmt.Errorf("cannot invoke it through the Lambda API: %w", err)
	}
	return &destination.LambdaAPIFunction{Client: client, Name: fn.Name, Qualifier: fn.Qualifier}, nil
}

// streamOnAWS is the sink of a Kinesis or Firehose output whose stream is
// not this server's: the stream of its ARN, through the Kinesis or Firehose
// API in the ARN's region. With verify (the output being configured) the
// stream is checked to exist, so a mistyped name is refused when it is
// given, not retried for ever; not when a run opens: AWS throttling those
// calls (many applications failing over at once) must not stop one.
func (m *Manager) streamOnAWS(ctx context.Context, out Output, verify bool) (destination.Sink, error) {
	if m.opts.AWS == nil {
		return nil, errors.New("this server does not reach AWS")
	}
	st, err := awsclients.ParseStreamARN(out.ResourceARN)
	if err != nil || st.Service != out.Kind {
		return nil, fmt.Errorf("its ARN %q does not name one on AWS", out.ResourceARN)
	}
	if verify {
		if err := m.opts.AWS.CheckCredentials(ctx); err != nil {
			return nil, fmt.Errorf("cannot reach it on AWS: %w", err)
		}
	}
	check, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if out.Kind == KinesisOutput {
		client, err := m.opts.AWS.Kinesis(ctx, st.Region)
		if err == nil && verify {
			_, err = client.DescribeStreamSummary(check, &kinesis.DescribeStreamSummaryInput{StreamName: &st.Name})
		}
		if err != nil {
			return nil, fmt.Errorf("cannot reach it on AWS (region %s): %w", st.Region, err)
		}
		return &destination.KinesisAPISink{Client: client, Stream: st.Name, ARN: out.ResourceARN}, nil
	}
	client, err := m.opts.AWS.Firehose(ctx, st.Region)
	if err == nil && verify {
		_, err = client.DescribeDeliveryStream(check, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: &st.Name})
	}
	if err != nil {
		return nil, fmt.Errorf("cannot reach it on AWS (region %s): %w", st.Region, err)
	}
	return &destination.FirehoseAPISink{Client: client, Stream: st.Name, ARN: out.ResourceARN}, nil
}

// probeTimeout bounds the check that a function URL can be reached.
const probeTimeout = 3 * time.Second

// probeOutputs checks, when an output is configured, that a function given
// by URL can be reached (a TCP connection to its host), so a mistyped or
// dead endpoint is refused then, not retried for ever. Outputs already
// there are not probed again: an endpoint down for a while must not block
// unrelated updates.
func (m *Manager) probeOutputs(ctx context.Context, old, outs []Output) error {
	for _, out := range outs {
		if out.Kind != LambdaOutput || !strings.HasPrefix(out.Target, "http://") && !strings.HasPrefix(out.Target, "https://") {
			continue
		}
		if slices.ContainsFunc(old, func(o Output) bool { return o.Kind == out.Kind && o.Target == out.Target }) {
			continue
		}
		u, err := url.Parse(out.Target)
		if err != nil {
			return fmt.Errorf("%w: output %s: %v", ErrInvalid, out.Name, err)
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		}
		dial, cancel := context.WithTimeout(ctx, probeTimeout)
		conn, err := m.userURLs.DialContext(dial, "tcp", host)
		cancel()
		if err != nil {
			// The cause stays in the log: the user's error tells no open
			// port from a closed one.
			m.opts.Logger.Warn("a function URL given through the API cannot be reached", "output", out.Name, "url", destination.Redacted(u), "err", err)
			return fmt.Errorf("%w: output %s: %s: %v", ErrInvalid, out.Name, destination.Redacted(u), safedial.ErrUnusable)
		}
		conn.Close()
	}
	return nil
}
