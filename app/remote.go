package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riffle-sql/riffle/awskinesis"
	"github.com/riffle-sql/riffle/internal/throttle"
)

// resolve tells, for each input a request gave (Input.ResourceARN), this
// server's stream from another's, once, when the input is saved: a
// Kinesis ARN of this server's account and region naming a data stream it
// has is that stream; any other Kinesis ARN is a stream of AWS (or of the
// Kinesis-compatible server the SDK is pointed at), which must exist. A
// Firehose delivery stream can only be this server's: Firehose has no
// API to read from.
func (m *Manager) resolve(ctx context.Context, a *Application) error {
	for i := range a.Inputs {
		in := &a.Inputs[i]
		given := in.ResourceARN
		in.ResourceARN = ""
		if given == "" {
			continue
		}
		in.ARN = ""
		info, err := m.log.Describe(ctx, in.Source)
		local := err == nil && info.Kind == in.Kind
		if in.Kind == "firehose" {
			if !local {
				return fmt.Errorf("%w: input %s: delivery stream %s does not exist on this server, and Firehose has no API to read a delivery stream from: "+
					"point its producers at this server's Firehose API (create a delivery stream %s here), "+
					"or give the Kinesis data stream that feeds it, if it has one, as a KinesisStreamsInput", ErrInvalid, given, in.Source, in.Source)
			}
			continue
		}
		arn, err := awskinesis.ParseARN(given)
		if err != nil {
			if local {
				continue // as before remote streams: the name is this server's stream
			}
			return fmt.Errorf("%w: input %s: %v", ErrInvalid, given, err)
		}
		if local && arn.Account == m.opts.Account && arn.Region == m.opts.Region {
			continue
		}
		in.ARN = arn.String()
		if err := m.checkRemote(ctx, *in); err != nil {
			return err
		}
	}
	return nil
}

// checkRemote asks the service whether a remote input's stream exists.
func (m *Manager) checkRemote(ctx context.Context, in Input) error {
	if m.opts.Kinesis == nil {
		return fmt.Errorf("%w: input %s is not a stream of this server, and this server reads no other Kinesis streams", ErrInvalid, in.ARN)
	}
	arn, err := awskinesis.ParseARN(in.ARN)
	if err != nil {
		return fmt.Errorf("%w: input %s: %v", ErrInvalid, in.ARN, err)
	}
	if _, err := m.opts.Kinesis.Describe(ctx, arn); err != nil {
		if errors.Is(err, awskinesis.ErrNotFound) {
			return fmt.Errorf("%w: input %s does not exist: %v", ErrInvalid, in.ARN, err)
		}
		return fmt.Errorf("%w: input %s cannot be reached: %v", ErrInvalid, in.ARN, err)
	}
	return nil
}

// openRemote starts reading a remote Kinesis input: from the checkpoint's
// positions when resuming, else from now (NOW) or the shards' start
// (TRIM_HORIZON).
func (m *Manager) openRemote(ctx context.Context, a Application, c checkpoint, resume bool, position string) (input, []lane, error) {
	in := a.Inputs[0]
	if m.opts.Kinesis == nil {
		return nil, nil, fmt.Errorf("%w: input %s is not a stream of this server, and this server reads no other Kinesis streams", ErrInvalid, in.ARN)
	}
	arn, err := awskinesis.ParseARN(in.ARN)
	if err != nil {
		return nil, nil, fmt.Errorf("input of %s: %w", a.Name, err)
	}
	start := awskinesis.Start{Latest: position != TrimHorizon}
	if resume {
		start = awskinesis.Start{Positions: c.Shards}
	}
	logger := m.opts.Logger.With("application", a.Name, "stream", in.ARN)
	var mu sync.Mutex // the shards' goroutines share the log
	throttled := throttle.Log{Logger: logger, Every: errorLogEvery, Clock: m.opts.Clock}
	reader, err := m.opts.Kinesis.Open(ctx, arn, start, awskinesis.Options{Clock: m.opts.Clock, Tolerance: m.opts.KinesisTolerance, Logger: logger,
		Throttled: func(shard string, wait time.Duration) {
			m.metrics.throttled.WithLabelValues(a.Name).Inc()
			mu.Lock()
			defer mu.Unlock()
			throttled.Error("Kinesis refused a read for its limits; backing off", "shard", shard, "wait", wait.String())
		}})
	if err != nil {
		if errors.Is(err, awskinesis.ErrNotFound) {
			return nil, nil, fmt.Errorf("input of %s: %w: %w", a.Name, errInputGone, err)
		}
		return nil, nil, fmt.Errorf("input of %s: %w", a.Name, err)
	}
	src, lanes := newRemoteInput(reader)
	return src, lanes, nil
}

// Sample reads up to n records of each shard of a Kinesis stream that is
// not this server's, named by its ARN (for DiscoverInputSchema). remote
// is false, and nothing read, when the ARN names this server's stream.
func (m *Manager) Sample(ctx context.Context, resourceARN string, n int) (samples [][]byte, remote bool, err error) {
	arn, err := awskinesis.ParseARN(resourceARN)
	if err != nil {
		return nil, false, nil // not a Kinesis ARN: this server's (or none)
	}
	if info, err := m.log.Describe(ctx, arn.Name); err == nil && info.Kind == "kinesis" && arn.Account == m.opts.Account && arn.Region == m.opts.Region {
		return nil, false, nil
	}
	if m.opts.Kinesis == nil {
		return nil, true, fmt.Errorf("%w: %s is not a stream of this server, and this server reads no other Kinesis streams", ErrInvalid, resourceARN)
	}
	samples, err = m.opts.Kinesis.Sample(ctx, arn, n)
	if errors.Is(err, awskinesis.ErrNotFound) {
		return nil, true, fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return samples, true, err
}
