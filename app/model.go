// Package app runs Kinesis Data Analytics applications as a service. Its
// parts: the Store keeps definitions, checkpoints and acknowledgements in
// JetStream buckets, written with compare-and-set on revisions; the
// Manager supervises applications with a lock each, so one application's
// slow work (fetching reference data, probing an output, draining, the
// last checkpoint) never holds up another's calls or the reads of any; a
// running application reads its input from the log into its engine, moves
// its clock, checkpoints, and feeds its outputs and taps.
package app

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/riffle-sql/riffle/awsclients"
	"github.com/riffle-sql/riffle/awskinesis"
	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/s3store"
)

// Statuses, as the service names them.
const (
	Ready    = "READY"
	Starting = "STARTING"
	Running  = "RUNNING"
	Updating = "UPDATING"
	Stopping = "STOPPING"
	Deleting = "DELETING"
)

// Start positions.
const (
	Now              = "NOW"
	TrimHorizon      = "TRIM_HORIZON"
	LastStoppedPoint = "LAST_STOPPED_POINT"
)

// Application is an application's definition and state.
type Application struct {
	Name string
	// UID tells this application from an earlier one of the same name:
	// its checkpoint and acknowledgements are its own, so what a deleted
	// application left behind is never taken for a new one's. Definitions
	// stored before UIDs have none.
	UID         string `json:",omitempty"`
	Description string
	Code        string
	Status      string
	Version     int64
	Created     time.Time
	Updated     time.Time
	Inputs      []Input
	Outputs     []Output
	References  []Reference
	Tags        map[string]string
	// Failure says why a run ended by itself (its input stream is gone),
	// until the next start.
	Failure *Failure `json:",omitempty"`
	// Origin ties application time to the wall clock since the last start:
	// ROWTIME = App + (arrival - Wall) * time scale, in ms. Kept across
	// restarts, so a resumed application gives the rows it would have.
	Origin struct{ Wall, App int64 }
	// Settle is how long after a record's arrival the clock waits before
	// moving past it (0: DefaultSettle; at most MaxSettle). A record stored
	// later than that after its arrival takes the clock's time as ROWTIME,
	// so it may fall into a later window; a longer wait delays every
	// window's rows by as much. An input of another server's Kinesis
	// stream waits Options.KinesisTolerance instead.
	Settle time.Duration `json:",omitempty"`
}

// DefaultSettle is the settle wait of an application that sets none: a
// request is stored a little after its arrival time, and its records must
// still find their windows open.
const DefaultSettle = 500 * time.Millisecond

// MaxSettle bounds an application's settle wait.
const MaxSettle = time.Minute

// SettleWait is the application's settle wait.
func (a Application) SettleWait() time.Duration {
	if a.Settle <= 0 {
		return DefaultSettle
	}
	return a.Settle
}

// Failure is why an application stopped running by itself, and when.
type Failure struct {
	Time    time.Time
	Message string
}

// AppTime is the application time (ms) of a wall-clock time (ms), the one
// formula live runs and offline replays must share.
func (a Application) AppTime(wall int64, timeScale float64) int64 {
	return a.Origin.App + int64(float64(wall-a.Origin.Wall)*timeScale)
}

// Input is the application's streaming source.
type Input struct {
	ID         string
	NamePrefix string
	Source     string // the delivery stream or data stream
	Kind       string // "firehose" or "kinesis"
	// ARN is the Kinesis data stream's when it is not a stream of this
	// server: it is read through the AWS SDK (package awskinesis). Empty
	// for this server's streams.
	ARN string `json:",omitempty"`
	// ResourceARN is the ARN a request gave, not stored: when the input is
	// saved, it tells this server's stream (ARN empty) from another's
	// (ARN set); see Manager.resolve.
	ResourceARN string `json:"-"`
	Schema      record.Schema
	Parallelism int // 0 means 1
	// StartingPosition is the position of the last start ("" before one).
	StartingPosition string
}

// StreamName is the (first) in-application stream the input fills.
func (in Input) StreamName() string { return in.NamePrefix + "_001" }

// StreamNames are the in-application streams the input fills, one per
// InputParallelism: NamePrefix_001, _002...; shard s feeds stream s mod N.
func (in Input) StreamNames() []string { return compile.InputNames(in.NamePrefix, in.Parallelism) }

// Output sends an in-application stream's rows to a destination.
type Output struct {
	ID     string
	Name   string // the in-application stream
	Format string // JSON or CSV
	Kind   string // one of the Output kinds
	// Target is the Lambda function (a name the server knows, or an http(s)
	// URL), the delivery or data stream, or the file (under
	// Options.OutputDir).
	Target string
	// ResourceARN and RoleARN are kept as given, for descriptions.
	ResourceARN, RoleARN string
}

// Output kinds.
const (
	LambdaOutput   = "lambda"
	FirehoseOutput = "firehose"
	KinesisOutput  = "kinesis"
	FileOutput     = "file"
)

// Reference is a reference data source: a file loaded as a table when the
// application starts (or the source changes). The service's S3 location
// Bucket/Key is the file Options.Buckets/Bucket/Key, or, on a server set
// up for S3 (Options.S3) whose buckets directory has no Bucket, the object
// Key of the S3 bucket.
type Reference struct {
	ID        string
	TableName string
	Bucket    string
	Key       string
	Schema    record.Schema
}

// Errors the API maps to the service's exceptions.
var (
	ErrNotFound = errors.New("application not found")
	ErrInUse    = errors.New("application is in use")
	// ErrVersion is a change made against another version than the
	// current one (the service's ConcurrentModificationException), also
	// when two requests changed the application at the same moment.
	ErrVersion = errors.New("application version mismatch")
	ErrInvalid = errors.New("invalid argument")
	// ErrTooManyTags is the service's TooManyTagsException.
	ErrTooManyTags = errors.New("too many tags")
	// ErrDamaged is stored state that cannot be read (riffle repair).
	ErrDamaged = errors.New("damaged")
	// ErrNoCode is a change that would leave a running application
	// without code (the service's CodeValidationException).
	ErrNoCode = errors.New("no application code")
)

// Options tune the service.
type Options struct {
	// TimeScale makes application time run this many times faster than the
	// wall clock (demos and tests); 1 by default.
	TimeScale float64
	// Checkpoint is how often a running application saves its state.
	Checkpoint time.Duration
	// Poll is how often a running application looks for new records and
	// moves its clock.
	Poll time.Duration
	// RowsPerStream is how many recent rows each stream's tap keeps.
	RowsPerStream int
	// Buckets is the directory that stands for S3: reference data source
	// BUCKET/KEY is the file Buckets/BUCKET/KEY.
	Buckets string
	// S3, when set, holds the buckets that have no directory under
	// Buckets (package s3store).
	S3 *s3store.Client
	// Functions are the Lambda-compatible functions outputs may name: the
	// operator's, trusted (riffle serve --function NAME=URL).
	Functions map[string]destination.Function
	// AllowPrivateURLs lets the URLs given through the API (a reference
	// data source's key, a Lambda output's function URL) reach loopback,
	// link-local, private and other non-public addresses, which are
	// refused otherwise (package safedial): riffle serve
	// --allow-private-urls.
	AllowPrivateURLs bool
	// ForestMemory bounds the bytes an application's RANDOM_CUT_FOREST
	// models hold together (rcf.Config.Bytes), checked when its code is
	// saved and when it starts: 0 is DefaultForestMemory; riffle serve
	// --max-forest-memory.
	ForestMemory int64
	// AWS makes the clients of resources that are not this server's: a
	// Lambda output naming a function that is not one of Functions is
	// invoked through the Lambda API (nil: refused).
	AWS *awsclients.Factory
	// OutputDir holds file outputs: an output's path is relative to it.
	OutputDir string
	// Region and Account make application ARNs, and tell the Kinesis ARNs
	// that may name this server's streams.
	Region, Account string
	// Kinesis reads the Kinesis inputs that are not streams of this
	// server; nil: such inputs are refused.
	Kinesis *awskinesis.Client
	// KinesisTolerance is how far a remote Kinesis stream's arrival stamps
	// may lag this machine's clock (skew, and the service's delay in
	// serving a record): the application's clock waits that much for
	// them (DefaultKinesisTolerance).
	KinesisTolerance time.Duration
	// Delivery tunes the outputs' deliveries (the fields Sink, State,
	// IDKey, Acks and Labels are set per output).
	Delivery destination.Config
	// Drain is how long a stopping application waits for its outputs to
	// deliver what they hold (the rest is checkpointed).
	Drain time.Duration
	// Clock is the wall clock: arrival times become application time on
	// it, and polls and checkpoints follow it. Tests give a fake one.
	Clock clockwork.Clock
	// Logger receives the applications' runtime errors.
	Logger *slog.Logger
	// Metrics, when set, receives the applications' Prometheus metrics.
	Metrics prometheus.Registerer
	// Node names this server among several sharing one NATS cluster: it
	// runs an application only while it holds the application's lease
	// (docs/cluster.md). "" (the embedded default): a single server,
	// which runs every application.
	Node string
	// LeaseTTL is how long a lease lasts without renewal (DefaultLeaseTTL);
	// owners renew every quarter of it and stop an application they
	// could not renew for half of it.
	LeaseTTL time.Duration
}

// DefaultForestMemory is Options.ForestMemory's default: room for 1,000
// trees of 1,000 points of 30 values, or a hundred of the service's
// default forests of a few columns, while the service's ranges allow one
// forest of about 10 GiB.
const DefaultForestMemory = 2 << 30

func (o Options) withDefaults() Options {
	if o.ForestMemory <= 0 {
		o.ForestMemory = DefaultForestMemory
	}
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.Checkpoint <= 0 {
		o.Checkpoint = 5 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 50 * time.Millisecond
	}
	if o.RowsPerStream <= 0 {
		o.RowsPerStream = 1000
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "000000000000"
	}
	if o.Drain <= 0 {
		o.Drain = 2 * time.Second
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.KinesisTolerance <= 0 {
		o.KinesisTolerance = DefaultKinesisTolerance
	}
	return o
}

// DefaultKinesisTolerance is how long the clock of an application with a
// remote Kinesis input waits for records after their arrival stamp: AWS
// serves a record typically less than a second after stamping it, and
// clocks kept by NTP differ by milliseconds.
const DefaultKinesisTolerance = 2 * time.Second

// nextID numbers a new input or output the way the service does: the
// version it was added at, then its position.
func nextID(version int64, count int) string {
	return fmt.Sprintf("%d.%d", version+1, count+1)
}

// maxTags is the service's limit of tags per application.
const maxTags = 50
