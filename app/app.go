// Package app runs Kinesis Data Analytics applications as a service: their
// definitions (stored in a JetStream key-value bucket beside the data), the
// status machine, the live runtime that reads an input stream from the log
// into the engine, checkpoints of input positions with the engine's whole
// state, and taps on every in-application stream.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/sql/parser"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/streamlog"
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
	Name        string
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
	// Origin ties application time to the wall clock since the last start:
	// ROWTIME = App + (arrival - Wall) * time scale, in ms. Kept across
	// restarts, so a resumed application gives the rows it would have.
	Origin struct{ Wall, App int64 }
}

// AppTime is the application time (ms) of a wall-clock time (ms), the one
// formula live runs and offline replays must share.
func (a Application) AppTime(wall int64, timeScale float64) int64 {
	return a.Origin.App + int64(float64(wall-a.Origin.Wall)*timeScale)
}

// Input is the application's streaming source.
type Input struct {
	ID          string
	NamePrefix  string
	Source      string // the delivery stream or data stream
	Kind        string // "firehose" or "kinesis"
	Schema      record.Schema
	Parallelism int // 0 means 1
	// StartingPosition is the position of the last start ("" before one).
	StartingPosition string
}

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
// maps to a directory of the server: Bucket/Key under Options.Buckets.
type Reference struct {
	ID        string
	TableName string
	Bucket    string
	Key       string
	Schema    record.Schema
}

// StreamName is the (first) in-application stream the input fills.
func (in Input) StreamName() string { return in.NamePrefix + "_001" }

// StreamNames are the in-application streams the input fills, one per
// InputParallelism: NamePrefix_001, _002...; shard s feeds stream s mod N.
func (in Input) StreamNames() []string {
	var names []string
	for i := range max(in.Parallelism, 1) {
		names = append(names, fmt.Sprintf("%s_%03d", in.NamePrefix, i+1))
	}
	return names
}

// Errors the API maps to the service's exceptions.
var (
	ErrNotFound = errors.New("application not found")
	ErrInUse    = errors.New("application is in use")
	ErrVersion  = errors.New("application version mismatch")
	ErrInvalid  = errors.New("invalid argument")
	// ErrTooManyTags is the service's TooManyTagsException.
	ErrTooManyTags = errors.New("too many tags")
)

// Options tune the service.
type Options struct {
	// TimeScale makes application time run this many times faster than the
	// wall clock (demos and tests); 1 by default.
	TimeScale float64
	// Checkpoint is how often a running application saves its state.
	Checkpoint time.Duration
	// Poll is how often the runtime looks for new records and moves the
	// clock.
	Poll time.Duration
	// RowsPerStream is how many recent rows each stream's tap keeps.
	RowsPerStream int
	// Buckets is the directory that stands for S3: reference data source
	// BUCKET/KEY is the file Buckets/BUCKET/KEY.
	Buckets string
	// Functions are the Lambda-compatible functions outputs may name.
	Functions map[string]destination.Function
	// OutputDir holds file outputs: an output's path is relative to it.
	OutputDir string
	// Region and Account make application ARNs.
	Region, Account string
	// Delivery tunes the outputs' deliveries (the fields Sink, State,
	// IDKey, Acks and Labels are set per output).
	Delivery destination.Config
	// Drain is how long a stopping application waits for its outputs to
	// deliver what they hold (the rest is checkpointed).
	Drain time.Duration
}

func (o Options) withDefaults() Options {
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
	return o
}

// Manager keeps the applications and runs the started ones.
type Manager struct {
	log     *streamlog.Log
	defs    *streamlog.KV
	ckpts   *streamlog.Objects // checkpoints: whole forests, larger than a NATS message may be
	acks    *streamlog.KV      // outputs' acknowledgements, apart from checkpoints
	opts    Options
	ctx     context.Context // owns every runner
	mu      sync.Mutex
	running map[string]*runtime
}

// NewManager opens the application store and resumes the applications
// that were running (from their last checkpoint).
func NewManager(ctx context.Context, l *streamlog.Log, opts Options) (*Manager, error) {
	defs, err := l.Bucket(ctx, "riffle_applications")
	if err != nil {
		return nil, err
	}
	ckpts, err := l.ObjectBucket(ctx, "riffle_checkpoints")
	if err != nil {
		return nil, err
	}
	acks, err := l.Bucket(ctx, "riffle_deliveries")
	if err != nil {
		return nil, err
	}
	// The runners outlive a cancelled ctx (a SIGTERM): Close stops them,
	// each with a last checkpoint.
	m := &Manager{log: l, defs: defs, ckpts: ckpts, acks: acks, opts: opts.withDefaults(), ctx: context.WithoutCancel(ctx), running: map[string]*runtime{}}
	apps, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if a.Status == Running || a.Status == Starting {
			if err := m.launch(a, LastStoppedPoint); err != nil {
				// One application that cannot resume (its reference file is
				// gone) must not keep the server and the others down.
				slog.Error("resume failed; the application is READY again", "application", a.Name, "err", err)
				a.Status = Ready
				if err := m.save(ctx, a); err != nil {
					return nil, fmt.Errorf("resume %s: %w", a.Name, err)
				}
			}
		}
	}
	return m, nil
}

var appName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)

func (m *Manager) load(ctx context.Context, name string) (Application, error) {
	if !appName.MatchString(name) {
		return Application{}, fmt.Errorf("%w: application name %q: 1 to 128 letters, digits, _ . -", ErrInvalid, name)
	}
	data, err := m.defs.Get(ctx, name)
	if errors.Is(err, streamlog.ErrNotFound) {
		return Application{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return Application{}, err
	}
	var a Application
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("application %s: %w", name, err)
	}
	return a, nil
}

func (m *Manager) save(ctx context.Context, a Application) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return m.defs.Put(ctx, a.Name, data)
}

// Get returns an application.
func (m *Manager) Get(ctx context.Context, name string) (Application, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.load(ctx, name)
}

// List returns every application, by name.
func (m *Manager) List(ctx context.Context) ([]Application, error) {
	keys, err := m.defs.Keys(ctx)
	if err != nil {
		return nil, err
	}
	var out []Application
	for _, k := range keys {
		a, err := m.load(ctx, k)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Create stores a new application (READY, version 1). Its SQL is checked
// against its input's schema when it has both.
func (m *Manager) Create(ctx context.Context, a Application) (Application, error) {
	if !appName.MatchString(a.Name) {
		return a, fmt.Errorf("%w: application name %q: 1 to 128 letters, digits, _ . -", ErrInvalid, a.Name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.load(ctx, a.Name); err == nil {
		return a, fmt.Errorf("%w: application %s already exists", ErrInUse, a.Name)
	}
	if err := m.check(ctx, a); err != nil {
		return a, err
	}
	if err := m.probeOutputs(ctx, nil, a.Outputs); err != nil {
		return a, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	a.Status, a.Version, a.Created, a.Updated = Ready, 1, now, now
	for i := range a.Inputs {
		a.Inputs[i].ID = fmt.Sprintf("1.%d", i+1)
	}
	for i := range a.Outputs {
		a.Outputs[i].ID = fmt.Sprintf("1.%d", i+1)
	}
	return a, m.save(ctx, a)
}

// check validates inputs and, with an input, the SQL.
func (m *Manager) check(ctx context.Context, a Application) error {
	if len(a.Inputs) > 1 {
		return fmt.Errorf("%w: an application has at most one input", ErrInvalid)
	}
	for _, in := range a.Inputs {
		if in.Parallelism < 0 || in.Parallelism > 64 {
			return fmt.Errorf("%w: InputParallelism Count is 1 to 64, not %d", ErrInvalid, in.Parallelism)
		}
		info, err := m.log.Describe(ctx, in.Source)
		if err != nil || info.Kind != in.Kind {
			return fmt.Errorf("%w: input %s does not exist", ErrInvalid, in.Source)
		}
		if _, err := in.Schema.Columns(); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if a.Code != "" {
			var tables []*plan.Table
			for _, ref := range a.References {
				t, err := compile.TableColumns(ref.TableName, ref.Schema)
				if err != nil {
					return fmt.Errorf("%w: %v", ErrInvalid, err)
				}
				tables = append(tables, t)
			}
			g, err := compile.Plan(compile.Options{SQL: a.Code, Inputs: in.StreamNames(), Schema: in.Schema, Application: a.Name, Tables: tables})
			if err != nil {
				return err // positioned SQL errors
			}
			for _, out := range a.Outputs {
				if _, ok := g.Stream(out.Name); !ok && out.Name != "error_stream" {
					return fmt.Errorf("%w: output %s names no in-application stream of the code", ErrInvalid, out.Name)
				}
			}
		}
	}
	if len(a.Inputs) == 0 && a.Code != "" {
		// Without an input the names cannot be checked yet, the syntax can.
		if _, err := parser.Parse(a.Code); err != nil {
			return err // positioned SQL errors
		}
	}
	if len(a.Outputs) > 3 {
		return fmt.Errorf("%w: an application has at most three outputs", ErrInvalid)
	}
	for _, out := range a.Outputs {
		if _, _, err := m.sinkFor(ctx, a, out); err != nil {
			return fmt.Errorf("%w: output %s: %v", ErrInvalid, out.Name, err)
		}
	}
	if len(a.Tags) > maxTags {
		return fmt.Errorf("%w: an application has at most %d tags", ErrTooManyTags, maxTags)
	}
	if len(a.References) > 1 {
		return fmt.Errorf("%w: an application has at most one reference data source", ErrInvalid)
	}
	return nil
}

func (m *Manager) updateLocked(ctx context.Context, name string, version int64, change func(*Application) error) (Application, error) {
	a, err := m.load(ctx, name)
	if err != nil {
		return a, err
	}
	if a.Version != version {
		return a, fmt.Errorf("%w: version %d is not the current %d", ErrVersion, version, a.Version)
	}
	old := slices.Clone(a.Outputs)
	if err := change(&a); err != nil {
		return a, err
	}
	if err := m.check(ctx, a); err != nil {
		return a, err
	}
	if err := m.probeOutputs(ctx, old, a.Outputs); err != nil {
		return a, err
	}
	a.Version++
	a.Updated = time.Now().UTC().Truncate(time.Millisecond)
	return a, m.save(ctx, a)
}

// Reconfigure changes an application at the given version as
// UpdateApplication does: change edits it, the result is checked (changed
// reference sources must load), saved with the next version, and takes
// effect. A running application changed in its code or input restarts from
// where it stands with fresh state (the old state does not fit the new
// graph); changed in its reference data, it reloads the tables and keeps
// its state; changed in its outputs, it restarts with its state kept.
func (m *Manager) Reconfigure(ctx context.Context, name string, version int64, change func(*Application) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, err := m.load(ctx, name)
	if err != nil {
		return err
	}
	a, err := m.updateLocked(ctx, name, version, func(a *Application) error {
		if err := change(a); err != nil {
			return err
		}
		if reflect.DeepEqual(a.References, old.References) {
			return nil
		}
		_, err := m.loadReferences(*a) // the new sources must load
		return err
	})
	if err != nil {
		return err
	}
	newGraph := a.Code != old.Code || !reflect.DeepEqual(a.Inputs, old.Inputs)
	newTables := !reflect.DeepEqual(a.References, old.References)
	newOutputs := !reflect.DeepEqual(a.Outputs, old.Outputs)
	if !newGraph && !newTables && !newOutputs {
		return nil
	}
	rt := m.running[name]
	if rt != nil {
		rt.stop(true)
		delete(m.running, name)
	}
	newSource := len(a.Inputs) != len(old.Inputs) || len(a.Inputs) > 0 && (a.Inputs[0].Source != old.Inputs[0].Source || a.Inputs[0].Kind != old.Inputs[0].Kind)
	if newGraph { // the old graph's state does not fit the new one
		if c, ok, err := m.loadCheckpoint(name); err == nil && ok {
			c.Engine = nil
			if newSource { // nor do positions in another stream; outputs keep their rows
				c.Positions = nil
			}
			if err := m.putCheckpoint(ctx, name, c); err != nil {
				return err
			}
		}
	}
	if rt != nil {
		if err := m.launchLocked(a, LastStoppedPoint); err != nil {
			a.Status = Ready // saved, but not running: say so
			if serr := m.save(ctx, a); serr != nil {
				return fmt.Errorf("%w (and saving READY: %v)", err, serr)
			}
			return err
		}
	}
	return nil
}

// UpdateCode replaces an application's SQL (see Reconfigure).
func (m *Manager) UpdateCode(ctx context.Context, name string, version int64, code string) error {
	return m.Reconfigure(ctx, name, version, func(a *Application) error {
		a.Code = code
		return nil
	})
}

// AddOutput adds a destination at the given version.
func (m *Manager) AddOutput(ctx context.Context, name string, version int64, out Output) error {
	return m.Reconfigure(ctx, name, version, func(a *Application) error {
		out.ID = nextID(a.Version, len(a.Outputs))
		a.Outputs = append(a.Outputs, out)
		return nil
	})
}

// DeleteOutput removes a destination by its id; the rows it had not
// delivered are dropped with it.
func (m *Manager) DeleteOutput(ctx context.Context, name string, version int64, id string) error {
	err := m.Reconfigure(ctx, name, version, func(a *Application) error {
		n := len(a.Outputs)
		if a.Outputs = slices.DeleteFunc(a.Outputs, func(o Output) bool { return o.ID == id }); len(a.Outputs) == n {
			return fmt.Errorf("%w: application %s has no output %s", ErrNotFound, a.Name, id)
		}
		return nil
	})
	if err == nil {
		m.acks.Delete(ctx, ackKey(name, id))
	}
	return err
}

// AddInput gives an application without one its streaming input.
func (m *Manager) AddInput(ctx context.Context, name string, version int64, in Input) error {
	return m.Reconfigure(ctx, name, version, func(a *Application) error {
		if len(a.Inputs) > 0 {
			return fmt.Errorf("%w: application %s already has an input", ErrInvalid, a.Name)
		}
		in.ID = nextID(a.Version, 0)
		a.Inputs = append(a.Inputs, in)
		return nil
	})
}

// AddReference adds a reference data source; a running application
// reloads its tables and goes on from where it stands, state kept.
func (m *Manager) AddReference(ctx context.Context, name string, version int64, ref Reference) error {
	return m.Reconfigure(ctx, name, version, func(a *Application) error {
		ref.ID = nextID(a.Version, len(a.References))
		a.References = append(a.References, ref)
		return nil
	})
}

// DeleteReference removes a reference data source by its id.
func (m *Manager) DeleteReference(ctx context.Context, name string, version int64, id string) error {
	return m.Reconfigure(ctx, name, version, func(a *Application) error {
		n := len(a.References)
		if a.References = slices.DeleteFunc(a.References, func(r Reference) bool { return r.ID == id }); len(a.References) == n {
			return fmt.Errorf("%w: application %s has no reference data source %s", ErrNotFound, a.Name, id)
		}
		return nil
	})
}

// nextID numbers a new input or output the way the service does: the
// version it was added at, then its position.
func nextID(version int64, count int) string {
	return fmt.Sprintf("%d.%d", version+1, count+1)
}

// maxTags is the service's limit of tags per application.
const maxTags = 50

// Tag sets tags (without changing the version, as the service does).
func (m *Manager) Tag(ctx context.Context, name string, tags map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, err := m.load(ctx, name)
	if err != nil {
		return err
	}
	if a.Tags == nil {
		a.Tags = map[string]string{}
	}
	for k, v := range tags {
		a.Tags[k] = v
	}
	if len(a.Tags) > maxTags {
		return fmt.Errorf("%w: an application has at most %d tags", ErrTooManyTags, maxTags)
	}
	if len(a.References) > 1 {
		return fmt.Errorf("%w: an application has at most one reference data source", ErrInvalid)
	}
	return m.save(ctx, a)
}

// Untag removes tags by key.
func (m *Manager) Untag(ctx context.Context, name string, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, err := m.load(ctx, name)
	if err != nil {
		return err
	}
	for _, k := range keys {
		delete(a.Tags, k)
	}
	return m.save(ctx, a)
}

// Delete removes a stopped application; createTimestamp must match.
func (m *Manager) Delete(ctx context.Context, name string, created time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, err := m.load(ctx, name)
	if err != nil {
		return err
	}
	// Clients send the timestamp back as seconds, some (the AWS CLI)
	// without the fraction: whole seconds must match.
	if !created.IsZero() && created.Unix() != a.Created.Unix() {
		return fmt.Errorf("%w: CreateTimestamp does not match the application's", ErrInvalid)
	}
	if rt := m.running[name]; rt != nil {
		rt.stop(false)
		delete(m.running, name)
	}
	m.ckpts.Delete(ctx, name)
	for _, out := range a.Outputs {
		m.acks.Delete(ctx, ackKey(name, out.ID))
	}
	return m.defs.Delete(ctx, name)
}

// Start runs an application from a start position.
func (m *Manager) Start(ctx context.Context, name, position string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, err := m.load(ctx, name)
	if err != nil {
		return err
	}
	if a.Status != Ready {
		return fmt.Errorf("%w: application %s is %s", ErrInUse, name, a.Status)
	}
	if len(a.Inputs) == 0 || a.Code == "" {
		return fmt.Errorf("%w: application %s needs an input and code to start", ErrInvalid, name)
	}
	switch position {
	case "":
		position = Now
	case Now, LastStoppedPoint:
	case TrimHorizon:
		if a.Inputs[0].Kind == "firehose" {
			return fmt.Errorf("%w: TRIM_HORIZON is not valid for a Firehose input", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: start position %q", ErrInvalid, position)
	}
	a.Status = Running
	a.Inputs[0].StartingPosition = position
	now := time.Now().UnixMilli()
	appNow := now
	if a.Origin.Wall != 0 { // application time never goes back across starts
		appNow = max(now, a.AppTime(now, m.opts.TimeScale))
	}
	a.Origin.Wall, a.Origin.App = now, appNow
	if err := m.launchLocked(a, position); err != nil {
		return err
	}
	if err := m.save(ctx, a); err != nil {
		m.running[name].stop(false)
		delete(m.running, name)
		return err
	}
	return nil
}

// Stop stops a running application, saving a last checkpoint.
func (m *Manager) Stop(ctx context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, err := m.load(ctx, name)
	if err != nil {
		return err
	}
	if a.Status != Running {
		return fmt.Errorf("%w: application %s is %s", ErrInUse, name, a.Status)
	}
	if rt := m.running[name]; rt != nil {
		rt.stop(true)
		delete(m.running, name)
	}
	a.Status = Ready
	return m.save(ctx, a)
}

// Close stops every runner after a last checkpoint; the applications stay
// RUNNING in the store and resume when the server starts again.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Together: each may wait up to Options.Drain for its outputs.
	var stopping sync.WaitGroup
	for _, rt := range m.running {
		stopping.Go(func() { rt.stop(true) })
	}
	stopping.Wait()
	clear(m.running)
}

func (m *Manager) launch(a Application, position string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.launchLocked(a, position)
}

// RecordsRead says how many input records a running application has read
// (and fed to its engine) since it started.
func (m *Manager) RecordsRead(name string) (int64, error) {
	m.mu.Lock()
	rt := m.running[name]
	m.mu.Unlock()
	if rt == nil {
		return 0, fmt.Errorf("%w: application %s is not running", ErrInUse, name)
	}
	return rt.read.Load(), nil
}

// Streams names a running application's in-application streams, in the
// order of its code, error_stream last.
func (m *Manager) Streams(name string) ([]string, error) {
	m.mu.Lock()
	rt := m.running[name]
	m.mu.Unlock()
	if rt == nil {
		return nil, fmt.Errorf("%w: application %s is not running", ErrInUse, name)
	}
	return slices.Clone(rt.streams), nil
}

// Tap returns the recent rows of an application's stream and a channel of
// new ones (closed when the application stops or cancel is called).
func (m *Manager) Tap(name, stream string) (recent [][]byte, rows <-chan []byte, cancel func(), err error) {
	m.mu.Lock()
	rt := m.running[name]
	m.mu.Unlock()
	if rt == nil {
		return nil, nil, nil, fmt.Errorf("%w: application %s is not running", ErrInUse, name)
	}
	return rt.tap(stream)
}
