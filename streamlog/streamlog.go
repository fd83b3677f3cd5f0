// Package streamlog stores streams of records durably on NATS JetStream:
// an embedded server with file storage under a data directory by default,
// or an existing NATS server or cluster. It knows nothing of HTTP or SQL.
//
// Each stream is one JetStream stream with a subject per shard. A batch of
// records appended together is one JetStream message (few messages, high
// throughput), acknowledged only once JetStream has stored it; each record
// still has its own sequence number (the message's sequence and its place
// in the batch), arrival time and partition key. A batch larger than the
// NATS server's max_payload is stored as several messages, and a record
// larger than a message in parts (split.go).
package streamlog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riffle-sql/riffle/internal/throttle"
)

// Errors a caller can tell apart with errors.Is.
var (
	ErrNotFound = errors.New("stream not found")
	ErrExists   = errors.New("stream already exists")
	// ErrConflict is a compare-and-set that lost: the key is not at the
	// revision the writer last saw (someone else wrote it meanwhile).
	ErrConflict = errors.New("revision conflict")
	// ErrStorageFull is an append refused because the log cannot store
	// more (a full disk, or the store limit reached): retry once space is
	// freed.
	ErrStorageFull = errors.New("storage full")
	// ErrUnavailable is an append (or a look at a stream) that JetStream
	// did not answer in time
	// or had no leader to answer (a NATS server lost, a leader being
	// elected): the records may or may not be stored, so retry with the
	// same id (AppendOnce) once the cluster has recovered.
	ErrUnavailable = errors.New("log temporarily unavailable")
)

// DefaultRetention keeps records for 24 hours, as Kinesis does by default.
const DefaultRetention = 24 * time.Hour

// DefaultMinFree is the free space appends leave on the data directory's
// filesystem unless Config.MinFree says otherwise: room for the buckets'
// writes (checkpoints, acknowledgements) and the server's own files.
const DefaultMinFree = 64 << 20

// Config says where the log lives.
type Config struct {
	// Dir holds the embedded server's files. Ignored with URL.
	Dir string
	// URL of an existing NATS server or cluster; empty runs one in process.
	URL string
	// Retention is how long records are kept (default 24 hours).
	Retention time.Duration
	// Logger receives the embedded server's warnings and errors (its
	// notices at debug level); nil: slog's default.
	Logger *slog.Logger
	// MaxStore caps the bytes the embedded server stores (records and
	// buckets): appends beyond it fail with ErrStorageFull. 0: the size of
	// the data directory's filesystem, which MinFree guards. (JetStream's
	// own default, 75% of the space free at start, would leave a server
	// started on a full disk refusing every write until a restart, even
	// after space is freed.)
	MaxStore int64
	// MinFree is the space appends leave free on the data directory's
	// filesystem (default DefaultMinFree; negative: no check): below it
	// they fail with ErrStorageFull at once, while the buckets can still
	// write. JetStream does not answer a write that meets a full disk: the
	// append would wait for its timeout and fail without saying why.
	MinFree int64
	// Replicas is how many NATS servers hold each stream and bucket the
	// log creates (existing ones keep theirs). 0: 1 embedded; with URL, 3
	// when the servers the connection knows of (those given and those the
	// cluster advertises) are at least 3, else 1. The embedded server is
	// alone: more than 1 is refused there.
	Replicas int
}

// Log is an open stream log.
type Log struct {
	lock      *dirLock       // the data directory's, when embedded
	server    *server.Server // nil with an external server
	retention time.Duration
	logger    *slog.Logger
	dir       string // the embedded server's, "" with an external one
	minFree   int64
	replicas  int
	full      atomic.Bool // appends are being refused for want of space

	// What the log knows of each stream's appends and losses (lost.go).
	marksKV      *binding[jetstream.KeyValue] // nil when the bucket could not be had
	marksMu      sync.Mutex
	marks        map[string]*mark
	losses       map[string]lossRecord
	pendingSkips map[string]uint64 // fills that failed, to the sequence they must reach
	lossMu       sync.Mutex        // one loss check or acknowledgement at a time
	markErrors   *throttle.Log
	stopMarks    context.CancelFunc
	marksDone    chan struct{}

	watch watchers // the streams readers wait on (watch.go)
	// directRefused holds the streams whose direct gets could not be
	// turned on (directReads), by JetStream name.
	directRefused sync.Map

	// The connection to NATS, opened again when it closes (conn.go).
	url        string
	natsOpts   []nats.Option
	cur        atomic.Pointer[conn]
	reconnects atomic.Int64
	stopConn   context.CancelFunc
	connDone   chan struct{}
}

// Open starts the embedded server (or connects to Config.URL).
func Open(ctx context.Context, cfg Config) (*Log, error) {
	l := &Log{retention: cfg.Retention, logger: cfg.Logger, minFree: cfg.MinFree}
	if l.retention <= 0 {
		l.retention = DefaultRetention
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	if l.minFree == 0 {
		l.minFree = DefaultMinFree
	}
	if cfg.Replicas < 0 {
		return nil, fmt.Errorf("streamlog: %d replicas: want 1 or more (0: the default)", cfg.Replicas)
	}
	if cfg.URL == "" && cfg.Replicas > 1 {
		return nil, fmt.Errorf("streamlog: %d replicas: the embedded NATS server is alone and keeps one copy; use an external NATS cluster", cfg.Replicas)
	}
	var opts []nats.Option
	url := cfg.URL
	if url == "" {
		if cfg.Dir == "" {
			return nil, errors.New("streamlog: a data directory or a NATS URL is needed")
		}
		lock, err := lockDir(cfg.Dir)
		if err != nil {
			return nil, err
		}
		l.lock = lock
		l.dir = cfg.Dir
		maxStore := cfg.MaxStore
		if maxStore <= 0 {
			maxStore = diskSize(cfg.Dir)
		}
		ns, err := server.NewServer(&server.Options{
			JetStream:         true,
			StoreDir:          cfg.Dir,
			JetStreamMaxStore: maxStore,
			DontListen:        true, // reached in process only
			NoSigs:            true,
			MaxPayload:        8 << 20, // a 5 MiB PutRecords batch with its records' headers (checkpoints go in chunks)
		})
		if err != nil {
			lock.release()
			return nil, fmt.Errorf("streamlog: start the embedded NATS server: %w", err)
		}
		ns.SetLoggerV2(natsLogger{l.logger.With("component", "nats")}, false, false, false)
		ns.Start()
		if !ns.ReadyForConnections(30 * time.Second) {
			ns.Shutdown()
			lock.release()
			return nil, errors.New("streamlog: the embedded NATS server did not start")
		}
		l.server = ns
		url = ns.ClientURL()
		opts = append(opts, nats.InProcessServer(ns))
	}
	l.url, l.natsOpts = url, opts
	c, err := l.dial()
	if err != nil {
		l.shutdown()
		return nil, err
	}
	l.cur.Store(c)
	keep, stop := context.WithCancel(context.Background())
	l.stopConn, l.connDone = stop, make(chan struct{})
	go l.keepConnected(keep)
	l.replicas = cfg.Replicas
	if l.replicas == 0 {
		l.replicas = defaultReplicas(c.nc)
	}
	l.markErrors = newMarkErrors(l)
	if err := l.openMarks(ctx); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// DefaultClusterReplicas is the replication of what the log creates on an
// external NATS cluster of at least as many servers: RAFT with three
// copies goes on when one server is lost.
const DefaultClusterReplicas = 3

// defaultReplicas is 3 when the connection knows of at least 3 servers (the
// URLs given and the client URLs the cluster advertises: nats.go keeps them
// all in its server pool), else 1. JetStream's APIs do not tell an
// ordinary account the size of the cluster.
func defaultReplicas(nc *nats.Conn) int {
	if nc.ConnectedClusterName() != "" && len(nc.Servers()) >= DefaultClusterReplicas {
		return DefaultClusterReplicas
	}
	return 1
}

// Replicas is how many NATS servers hold each stream and bucket the log
// creates.
func (l *Log) Replicas() int { return l.replicas }

// Close saves the streams' marks, disconnects and stops the embedded
// server.
func (l *Log) Close() error {
	l.stopWatching()
	if l.stopMarks != nil {
		l.stopMarks()
		<-l.marksDone
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		l.saveMarks(ctx)
		cancel()
	}
	if l.stopConn != nil {
		l.stopConn() // before closing: a closed connection is not to be replaced now
		<-l.connDone
		l.nats().Close()
	}
	l.shutdown()
	return nil
}

func (l *Log) shutdown() {
	if l.server != nil {
		l.server.Shutdown()
		l.server.WaitForShutdown()
	}
	l.lock.release()
}

// natsLogger passes the embedded server's log to slog: warnings and errors
// as such (a damaged block file must not go unseen), notices at debug.
type natsLogger struct{ l *slog.Logger }

func (n natsLogger) Noticef(format string, v ...any) { n.l.Debug(fmt.Sprintf(format, v...)) }
func (n natsLogger) Warnf(format string, v ...any)   { n.l.Warn(fmt.Sprintf(format, v...)) }
func (n natsLogger) Errorf(format string, v ...any)  { n.l.Error(fmt.Sprintf(format, v...)) }
func (n natsLogger) Fatalf(format string, v ...any)  { n.l.Error(fmt.Sprintf(format, v...)) }
func (n natsLogger) Debugf(format string, v ...any)  { n.l.Debug(fmt.Sprintf(format, v...)) }
func (n natsLogger) Tracef(format string, v ...any)  { n.l.Debug(fmt.Sprintf(format, v...)) }

// Info describes a stream.
type Info struct {
	Name    string
	Shards  int
	Created time.Time
	// Kind tells what created it ("firehose" or "kinesis"), for the APIs.
	Kind string
	// Metadata is what the stream was created with (CreateWith): kept
	// with it, gone with it. nil when none.
	Metadata map[string]string
	// Lost is what the storage found damaged and dropped (a block file
	// written over, a disk error) and no one has acknowledged yet; zero
	// when nothing was lost. It is filled by Describe, not by List.
	Lost Lost
}

// Lost counts the batches (messages) a stream's storage lost, and says
// where.
type Lost struct {
	Batches int
	// Bytes is known only when JetStream itself reports the loss.
	Bytes uint64
	// First and Last are the message numbers (Seq.Msg) of the first and
	// the last lost batch; the batches between may be lost too.
	First, Last uint64
	// Detected is when the latest loss was found.
	Detected time.Time
}

// From is the lowest sequence number a lost record can have.
func (l Lost) From() Seq { return Seq{Msg: l.First} }

// Through is the highest sequence number a lost record can have.
func (l Lost) Through() Seq { return Seq{Msg: l.Last, Index: maxIndex} }

func sortLosses(ls []StreamLoss) {
	sort.Slice(ls, func(i, j int) bool { return ls[i].Stream < ls[j].Stream })
}

// JetStream stream names and subject tokens cannot hold '.', so names are
// encoded; the original name is kept in the stream's metadata.
var nameChars = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)

func jsName(name string) string { return "rf_" + strings.ReplaceAll(name, ".", "~") }

// stream opens a stream's JetStream stream; ErrNotFound when there is
// none. doing names the operation in other errors.
func (l *Log) stream(ctx context.Context, name, doing string) (jetstream.Stream, error) {
	if err := checkStream(name); err != nil {
		return nil, err
	}
	s, err := l.jet().Stream(ctx, jsName(name))
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil && ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders)) {
		// JetStream did not answer in time: a server lost, a leader
		// being elected. Callers may retry.
		return nil, fmt.Errorf("streamlog: %s %s: %w: %w", doing, name, ErrUnavailable, err)
	}
	if err != nil {
		return nil, fmt.Errorf("streamlog: %s %s: %w", doing, name, err)
	}
	return s, nil
}

func subject(name string, shard int) string {
	return "rf." + strings.ReplaceAll(name, ".", "~") + "." + strconv.Itoa(shard)
}

// Create makes a stream with the given number of shards.
func (l *Log) Create(ctx context.Context, name, kind string, shards int) error {
	return l.CreateWith(ctx, name, kind, shards, nil)
}

// metaPrefix marks the stream metadata keys that are CreateWith's.
const metaPrefix = "riffle.meta."

// CreateWith is Create with metadata that lives as long as the stream (a
// delivery stream's destination), in Info.Metadata.
func (l *Log) CreateWith(ctx context.Context, name, kind string, shards int, meta map[string]string) error {
	if !nameChars.MatchString(name) {
		return fmt.Errorf("streamlog: stream name %q: use 1 to 128 letters, digits, _ . -", name)
	}
	if shards < 1 {
		return fmt.Errorf("streamlog: a stream needs at least one shard")
	}
	cfg := jetstream.StreamConfig{
		Name:      jsName(name),
		Subjects:  []string{"rf." + strings.ReplaceAll(name, ".", "~") + ".*"},
		Storage:   jetstream.FileStorage,
		Replicas:  l.replicas,
		MaxAge:    l.retention,
		Retention: jetstream.LimitsPolicy,
		// How long an append's id is remembered (AppendOnce).
		Duplicates: DedupWindow,
		// Reads as raw messages, not base64 in JSON (see directReads).
		AllowDirect: l.replicas == 1,
		Metadata: map[string]string{
			"riffle.name":    name,
			"riffle.kind":    kind,
			"riffle.shards":  strconv.Itoa(shards),
			"riffle.created": strconv.FormatInt(time.Now().UnixMilli(), 10),
		},
	}
	for k, v := range meta {
		cfg.Metadata[metaPrefix+k] = v
	}
	s, err := l.jet().CreateStream(ctx, cfg)
	if err != nil {
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("%w: %s", ErrExists, name)
		}
		return fmt.Errorf("streamlog: create %s: %w", name, err)
	}
	l.forget(ctx, name) // a former stream's of the same name
	l.streamIs(name, s.CachedInfo().Created.UnixNano())
	return nil
}

// Delete removes a stream and its records.
func (l *Log) Delete(ctx context.Context, name string) error {
	if err := checkStream(name); err != nil {
		return err
	}
	if err := l.jet().DeleteStream(ctx, jsName(name)); err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return fmt.Errorf("streamlog: delete %s: %w", name, err)
	}
	l.forget(ctx, name)
	l.watchDeleted(name)
	return nil
}

// Describe tells a stream's shards, creation time and lost records; it
// checks the stream for a loss it has not seen yet.
func (l *Log) Describe(ctx context.Context, name string) (Info, error) {
	before := l.markOf(name) // before the state: what is appended meanwhile is in it
	s, err := l.stream(ctx, name, "describe")
	if err != nil {
		return Info{}, err
	}
	cached := s.CachedInfo()
	info := infoOf(cached.Config)
	created := cached.Created.UnixNano()
	l.streamIs(name, created)
	rec := l.cachedLoss(name, created)
	if rec.Batches > 0 && l.marksKV != nil { // it may have been acknowledged on another node
		if stored, rev, err := l.loadLoss(ctx, name, created); err == nil && rev != 0 {
			rec = stored
			l.marksMu.Lock()
			l.losses[name] = stored
			l.marksMu.Unlock()
		}
	}
	if l.suspect(name, before, cached) {
		checked, err := l.checkLoss(ctx, name)
		if errors.Is(err, ErrNotFound) {
			return Info{}, err
		}
		if err != nil { // the stream is still there to describe
			l.logger.Error("cannot check a stream for lost records", "stream", name, "err", err)
		} else {
			rec = checked
		}
	}
	info.Lost = rec.lost()
	if lost := cached.State.Lost; lost != nil && len(lost.Msgs) > 0 {
		info.Lost.Batches += len(lost.Msgs)
		info.Lost.Bytes += lost.Bytes
		for _, seq := range lost.Msgs {
			info.Lost.First, info.Lost.Last = nonZeroMin(info.Lost.First, seq), max(info.Lost.Last, seq)
		}
	}
	return info, nil
}

func infoOf(cfg jetstream.StreamConfig) Info {
	shards, _ := strconv.Atoi(cfg.Metadata["riffle.shards"])
	created, _ := strconv.ParseInt(cfg.Metadata["riffle.created"], 10, 64)
	info := Info{Name: cfg.Metadata["riffle.name"], Kind: cfg.Metadata["riffle.kind"], Shards: shards, Created: time.UnixMilli(created)}
	for k, v := range cfg.Metadata {
		if key, ok := strings.CutPrefix(k, metaPrefix); ok {
			if info.Metadata == nil {
				info.Metadata = map[string]string{}
			}
			info.Metadata[key] = v
		}
	}
	return info
}

// List returns the streams of a kind ("" for all), by name.
func (l *Log) List(ctx context.Context, kind string) ([]Info, error) {
	var out []Info
	lister := l.jet().ListStreams(ctx)
	for si := range lister.Info() {
		info := infoOf(si.Config)
		if info.Name != "" && (kind == "" || info.Kind == kind) {
			out = append(out, info)
		}
	}
	if err := lister.Err(); err != nil {
		return nil, fmt.Errorf("streamlog: list streams: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Record is one stored record.
type Record struct {
	Data         []byte
	PartitionKey string
	Arrival      time.Time
	Seq          Seq
}

// Seq orders the records of a shard: the JetStream message and the
// record's place in it.
type Seq struct {
	Msg   uint64
	Index uint32
}

// String renders a sequence number as decimal digits that sort as the
// sequence does (the form Kinesis clients pass around).
func (s Seq) String() string {
	// Without fmt: an ingest answer holds one for each of its 500 records.
	var b [26]byte
	putDigits(b[:20], s.Msg)
	putDigits(b[20:], uint64(s.Index))
	return string(b[:])
}

// putDigits writes v in decimal into all of b, padded with zeros on the
// left (the highest digits dropped if b is too short).
func putDigits(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

// Before says whether s comes before t in its shard.
func (s Seq) Before(t Seq) bool {
	return s.Msg < t.Msg || s.Msg == t.Msg && s.Index < t.Index
}

// ParseSeq reads what String wrote.
func ParseSeq(text string) (Seq, error) {
	if len(text) != 26 {
		return Seq{}, fmt.Errorf("sequence number %q is not one of this log's", text)
	}
	msg, err1 := strconv.ParseUint(text[:20], 10, 64)
	idx, err2 := strconv.ParseUint(text[20:], 10, 32)
	if err1 != nil || err2 != nil {
		return Seq{}, fmt.Errorf("sequence number %q is not one of this log's", text)
	}
	return Seq{Msg: msg, Index: uint32(idx)}, nil
}

// Append stores records in a shard as one batch and returns their
// sequence numbers once JetStream has stored them. A batch larger than the
// NATS server's max_payload is stored as several messages (split.go): on
// an error, the sequences returned are those of the records stored, the
// first ones of the batch.
func (l *Log) Append(ctx context.Context, name string, shard int, recs []Record) ([]Seq, error) {
	return l.AppendOnce(ctx, name, shard, "", recs)
}

// DedupWindow is how long AppendOnce remembers an id.
const DedupWindow = 2 * time.Minute

// AppendOnce is Append with an id: the same id appended again within
// DedupWindow stores nothing and answers the first append's sequence
// numbers, so a retried request is stored once. An empty id is a plain
// Append.
func (l *Log) AppendOnce(ctx context.Context, name string, shard int, id string, recs []Record) ([]Seq, error) {
	if err := checkStream(name); err != nil {
		return nil, err
	}
	budget := l.MaxPayload() - headroom - len(id)
	if budget < minBudget {
		return nil, fmt.Errorf("streamlog: append to %s: the NATS server's max_payload of %d bytes is too small", name, l.MaxPayload())
	}
	data := encodeBatch(recs, 0, len(recs), nil)
	if err := l.roomFor(len(data)); err != nil {
		return nil, fmt.Errorf("streamlog: append to %s: %w", name, err)
	}
	if len(data) > budget { // more than one message holds (rare: then encoded again, split)
		return l.appendSplit(ctx, name, shard, id, recs, budget)
	}
	msg := nats.NewMsg(subject(name, shard))
	msg.Data = data
	seq, err := l.publish(ctx, name, msg, id)
	if err != nil {
		return nil, err
	}
	seqs := make([]Seq, len(recs))
	for i := range recs {
		seqs[i] = Seq{Msg: seq, Index: uint32(i)}
	}
	return seqs, nil
}

// publish stores a message of a stream (with an id: once) and returns its
// sequence.
func (l *Log) publish(ctx context.Context, name string, msg *nats.Msg, id string) (uint64, error) {
	var opts []jetstream.PublishOpt
	if id != "" {
		opts = append(opts, jetstream.WithMsgID(id))
	}
	ack, err := l.jet().PublishMsg(ctx, msg, opts...)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
			// No stream took it: there is none, or its leader is being
			// elected (a clustered stream between leaders).
			if _, serr := l.stream(ctx, name, "append to"); errors.Is(serr, ErrNotFound) {
				return 0, serr
			}
			return 0, fmt.Errorf("streamlog: append to %s: %w: %w", name, ErrUnavailable, err)
		}
		if ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout)) {
			return 0, fmt.Errorf("streamlog: append to %s: %w: %w", name, ErrUnavailable, err)
		}
		if l.outOfSpace(err) {
			return 0, fmt.Errorf("streamlog: append to %s: %w: %w", name, ErrStorageFull, err)
		}
		return 0, fmt.Errorf("streamlog: append to %s: %w", name, err)
	}
	l.appended(name, ack.Sequence)
	l.watchAppended(name, ack.Sequence)
	return ack.Sequence, nil
}

// Read returns up to max records of a shard from position from onwards
// (Seq{} reads from the start), and the position after the last one.
func (l *Log) Read(ctx context.Context, name string, shard int, from Seq, max int) ([]Record, Seq, error) {
	return l.ReadBytes(ctx, name, shard, from, max, 0)
}

// ReadBytes is Read that also stops before the records' data and
// partition keys would pass maxBytes (0: no bound); it returns at least
// one record if there is one, however large. The position it returns is
// the first record it left out, so reading on from there skips nothing.
func (l *Log) ReadBytes(ctx context.Context, name string, shard int, from Seq, max, maxBytes int) ([]Record, Seq, error) {
	s, err := l.stream(ctx, name, "read")
	if err != nil {
		return nil, from, err
	}
	if l.directReads(ctx, s) {
		if s, err = l.stream(ctx, name, "read"); err != nil {
			return nil, from, err
		}
	}
	var out []Record
	size := 0
	next := from
	if next.Msg == 0 {
		next.Msg = 1
	}
	for len(out) < max {
		msg, err := s.GetMsg(ctx, next.Msg, jetstream.WithGetMsgSubject(subject(name, shard)))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return out, next, fmt.Errorf("streamlog: read %s: %w", name, err)
		}
		recs, refs, err := decodeMsg(msg)
		if err != nil {
			return out, next, fmt.Errorf("streamlog: read %s message %d: %w", name, msg.Sequence, err)
		}
		if msg.Sequence > next.Msg {
			next = Seq{Msg: msg.Sequence}
		}
		for i := min(int(next.Index), len(recs)); i < len(recs); i++ {
			r := recs[i]
			rf, parted := refs[i]
			n := len(r.Data) + len(r.PartitionKey)
			if parted {
				n = rf.size + len(r.PartitionKey)
			}
			if len(out) == max || maxBytes > 0 && len(out) > 0 && size+n > maxBytes {
				return out, r.Seq, nil
			}
			if parted {
				r.Data, err = l.fetchParts(ctx, s, name, rf)
				if errors.Is(err, errPartGone) {
					// Expired just before its batch (stored earlier), or
					// lost with damaged storage (which the loss checks
					// report): the record is gone, as its batch soon is.
					l.logger.Warn("a record whose data is no longer stored is skipped", "stream", name, "sequence", r.Seq.String(), "err", err)
					continue
				}
				if err != nil {
					return out, r.Seq, err
				}
			}
			size += n
			out = append(out, r)
		}
		next = Seq{Msg: msg.Sequence + 1}
	}
	return out, next, nil
}

// directReads turns direct gets on for a stream of one replica stored
// before they were (streams are made with them), and says whether it did
// (the stream must be looked up again). A direct get answers the message
// as it is stored; the JSON API answers it in base64 inside JSON, which
// cost a running application a fifth of its time. A replicated stream
// keeps them off: any replica answers a direct get, and one behind its
// leader would hide records the watermark already let through.
func (l *Log) directReads(ctx context.Context, s jetstream.Stream) bool {
	cfg := s.CachedInfo().Config
	if cfg.AllowDirect || cfg.Replicas != 1 {
		return false
	}
	if _, refused := l.directRefused.Load(cfg.Name); refused {
		return false // asked once: not again at every read
	}
	cfg.AllowDirect = true
	if _, err := l.jet().UpdateStream(ctx, cfg); err != nil {
		l.directRefused.Store(cfg.Name, true)
		l.logger.Warn("a stream's reads stay on the JSON API", "stream", cfg.Name, "err", err)
		return false
	}
	return true
}

// A batch is: record count, then per record arrival (unix ms), partition
// key and data, each length-prefixed, as uvarints. In format 2 (split.go)
// a data length is doubled, plus one for a record whose data is in parts,
// which then has their count and sequences in place of its data.

// encodeBatch writes recs[from:to]; parts, when not nil, are those of the
// records stored out of line, by index in recs (format 2).
func encodeBatch(recs []Record, from, to int, parts map[int][]uint64) []byte {
	size := binary.MaxVarintLen64
	for _, r := range recs[from:to] {
		size += inlineCost(r)
	}
	b := make([]byte, 0, size)
	b = binary.AppendUvarint(b, uint64(to-from))
	for i := from; i < to; i++ {
		r := recs[i]
		b = binary.AppendVarint(b, r.Arrival.UnixMilli())
		b = binary.AppendUvarint(b, uint64(len(r.PartitionKey)))
		b = append(b, r.PartitionKey...)
		if parts == nil {
			b = binary.AppendUvarint(b, uint64(len(r.Data)))
			b = append(b, r.Data...)
			continue
		}
		ps, out := parts[i]
		if !out {
			b = binary.AppendUvarint(b, uint64(len(r.Data))<<1)
			b = append(b, r.Data...)
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(r.Data))<<1|1)
		b = binary.AppendUvarint(b, uint64(len(ps)))
		for _, p := range ps {
			b = binary.AppendUvarint(b, p)
		}
	}
	return b
}

var errCorrupt = errors.New("corrupt batch")

// uvarint reads a uvarint off the front of b.
func uvarint(b []byte) (uint64, []byte, bool) {
	v, k := binary.Uvarint(b)
	if k <= 0 {
		return 0, b, false
	}
	return v, b[k:], true
}

// decodeBatch reads what encodeBatch wrote, of format 2 when parted: the
// records (those with parts without their data) and the parts by record
// index.
func decodeBatch(b []byte, msgSeq uint64, parted bool) ([]Record, map[int]ref, error) {
	n, b, ok := uvarint(b)
	if !ok || n > uint64(len(b)) {
		return nil, nil, errCorrupt
	}
	recs := make([]Record, 0, n)
	var refs map[int]ref
	for i := uint64(0); i < n; i++ {
		ms, k := binary.Varint(b)
		if k <= 0 {
			return nil, nil, errCorrupt
		}
		b = b[k:]
		var kl, dl uint64
		if kl, b, ok = uvarint(b); !ok || kl > uint64(len(b)) {
			return nil, nil, errCorrupt
		}
		r := Record{Arrival: time.UnixMilli(ms), PartitionKey: string(b[:kl]), Seq: Seq{Msg: msgSeq, Index: uint32(i)}}
		if dl, b, ok = uvarint(b[kl:]); !ok {
			return nil, nil, errCorrupt
		}
		if parted {
			if dl&1 == 1 {
				rf, rest, err := decodeRef(dl>>1, b)
				if err != nil {
					return nil, nil, err
				}
				if refs == nil {
					refs = map[int]ref{}
				}
				refs[int(i)], b = rf, rest
				recs = append(recs, r)
				continue
			}
			dl >>= 1
		}
		if dl > uint64(len(b)) {
			return nil, nil, errCorrupt
		}
		// Data shares the message's buffer, which nothing else holds:
		// one allocation a message, not one a record.
		r.Data = b[:dl:dl]
		b = b[dl:]
		recs = append(recs, r)
	}
	return recs, refs, nil
}

// Retention is how long records are kept.
func (l *Log) Retention() time.Duration { return l.retention }

// Last is the sequence of the stream's last message (0 when empty).
func (l *Log) Last(ctx context.Context, name string) (uint64, error) {
	s, err := l.stream(ctx, name, "read the end of")
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("streamlog: %s: %w", name, err)
	}
	return info.State.LastSeq, nil
}

// SeqAt is the position of a shard's first record that arrived at or
// after t (the position after the last record when there is none).
func (l *Log) SeqAt(ctx context.Context, name string, shard int, t time.Time) (Seq, error) {
	from := Seq{}
	for {
		recs, next, err := l.Read(ctx, name, shard, from, 1000)
		if err != nil {
			return from, err
		}
		for _, r := range recs {
			if !r.Arrival.Before(t) {
				return r.Seq, nil
			}
		}
		if len(recs) == 0 {
			return next, nil
		}
		from = next
	}
}

// KV is a durable key-value bucket in the same JetStream (application
// definitions, checkpoints), so it works embedded and clustered alike.
type KV struct {
	name string
	kv   *binding[jetstream.KeyValue]
}

// handle is the bucket on the log's current connection.
func (b *KV) handle(ctx context.Context) (jetstream.KeyValue, error) {
	kv, err := b.kv.get(ctx)
	if err != nil {
		return nil, fmt.Errorf("streamlog: bucket %s: %w", b.name, err)
	}
	return kv, nil
}

// Bucket opens (creating if needed) a key-value bucket. An existing one
// is only looked up: updating it writes its configuration again, which
// fails on a full disk and would keep the server from starting there.
func (l *Log) Bucket(ctx context.Context, name string) (*KV, error) {
	return l.bucket(ctx, jetstream.KeyValueConfig{Bucket: name, Storage: jetstream.FileStorage, Replicas: l.replicas})
}

// ExpiringBucket opens (creating if needed) a key-value bucket whose keys
// expire ttl after their last write, on the NATS servers' clocks (an
// existing bucket keeps the TTL it was made with).
func (l *Log) ExpiringBucket(ctx context.Context, name string, ttl time.Duration) (*KV, error) {
	return l.bucket(ctx, jetstream.KeyValueConfig{Bucket: name, Storage: jetstream.FileStorage, TTL: ttl, Replicas: l.replicas})
}

func (l *Log) bucket(ctx context.Context, cfg jetstream.KeyValueConfig) (*KV, error) {
	name := cfg.Bucket
	kv, err := l.jet().KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = l.jet().CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) { // another node made it meanwhile
			kv, err = l.jet().KeyValue(ctx, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("streamlog: bucket %s: %w", name, err)
	}
	if l.fromLeader(ctx, "KV_"+name) {
		if again, err := l.jet().KeyValue(ctx, name); err == nil { // bound anew: gets from the leader
			kv = again
		}
	}
	return &KV{name: name, kv: bind(l, kv, func(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
		return js.KeyValue(ctx, name)
	})}, nil
}

// fromLeader turns the direct gets of a replicated bucket's stream off,
// once, and says whether it did (the bucket must be bound again). nats.go
// makes every bucket with AllowDirect, which lets any replica answer a
// read: one behind the leader answers with what it has, so a read right
// after a write may not see it (under load, StartApplication right after
// CreateApplication found no application). Without it reads go to the
// stream's leader, which has every acknowledged write. If the change
// cannot be written (a full disk), the bucket is used as it is.
func (l *Log) fromLeader(ctx context.Context, stream string) bool {
	s, err := l.jet().Stream(ctx, stream)
	if err != nil || !s.CachedInfo().Config.AllowDirect || s.CachedInfo().Config.Replicas < 2 {
		return false // one replica is always current
	}
	cfg := s.CachedInfo().Config
	cfg.AllowDirect = false
	if _, err := l.jet().UpdateStream(ctx, cfg); err != nil {
		l.logger.Warn("a bucket's reads may come from a replica behind its leader", "stream", stream, "err", err)
		return false
	}
	return true
}

// Put stores a value.
func (b *KV) Put(ctx context.Context, key string, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	kv, err := b.handle(ctx)
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, key, value); err != nil {
		return fmt.Errorf("streamlog: put %s: %w", key, err)
	}
	return nil
}

// Get reads a value; ErrNotFound when there is none.
func (b *KV) Get(ctx context.Context, key string) ([]byte, error) {
	if checkKey(key) != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, shown(key))
	}
	kv, err := b.handle(ctx)
	if err != nil {
		return nil, err
	}
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("streamlog: get %s: %w", key, err)
	}
	return e.Value(), nil
}

// Entry reads a value with its revision, for a later Update; ErrNotFound
// when there is none.
func (b *KV) Entry(ctx context.Context, key string) ([]byte, uint64, error) {
	if checkKey(key) != nil {
		return nil, 0, fmt.Errorf("%w: %s", ErrNotFound, shown(key))
	}
	kv, err := b.handle(ctx)
	if err != nil {
		return nil, 0, err
	}
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("streamlog: get %s: %w", key, err)
	}
	return e.Value(), e.Revision(), nil
}

// Create stores a value only if the key has none (ErrExists otherwise),
// and returns its revision.
func (b *KV) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	kv, err := b.handle(ctx)
	if err != nil {
		return 0, err
	}
	rev, err := kv.Create(ctx, key, value)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("%w: %s", ErrExists, key)
	}
	if err != nil {
		return 0, fmt.Errorf("streamlog: create %s: %w", key, err)
	}
	return rev, nil
}

// Update stores a value only if the key is still at revision (ErrConflict
// otherwise), and returns the new revision.
func (b *KV) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	kv, err := b.handle(ctx)
	if err != nil {
		return 0, err
	}
	rev, err := kv.Update(ctx, key, value, revision)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, fmt.Errorf("%w: %s is no longer at revision %d", ErrConflict, key, revision)
	}
	if err != nil {
		return 0, fmt.Errorf("streamlog: update %s: %w", key, err)
	}
	return rev, nil
}

// DeleteAt removes a key only if it is still at revision (ErrConflict
// otherwise).
func (b *KV) DeleteAt(ctx context.Context, key string, revision uint64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	kv, err := b.handle(ctx)
	if err != nil {
		return err
	}
	err = kv.Delete(ctx, key, jetstream.LastRevision(revision))
	var api *jetstream.APIError
	if errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
		return fmt.Errorf("%w: %s is no longer at revision %d", ErrConflict, key, revision)
	}
	if err != nil {
		return fmt.Errorf("streamlog: delete %s: %w", key, err)
	}
	return nil
}

// Delete removes a key (no error if it is absent).
func (b *KV) Delete(ctx context.Context, key string) error {
	if checkKey(key) != nil {
		return nil // no such key can be stored
	}
	kv, err := b.handle(ctx)
	if err != nil {
		return err
	}
	if err := kv.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("streamlog: delete %s: %w", key, err)
	}
	return nil
}

// Keys lists the keys, sorted.
func (b *KV) Keys(ctx context.Context) ([]string, error) {
	kv, err := b.handle(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := kv.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("streamlog: keys: %w", err)
	}
	sort.Strings(keys)
	return keys, nil
}

// KVEntry is a key's value at a revision (Deleted: a deletion, as Watch
// reports it).
type KVEntry struct {
	Key      string
	Value    []byte
	Revision uint64
	Deleted  bool
}

// Entries reads every key's current value, by key, in one pass over the
// bucket (as Keys does) rather than one request a key.
func (b *KV) Entries(ctx context.Context) (map[string]KVEntry, error) {
	kv, err := b.handle(ctx)
	if err != nil {
		return nil, err
	}
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("streamlog: entries of %s: %w", b.name, err)
	}
	defer w.Stop()
	out := map[string]KVEntry{}
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("streamlog: entries of %s: the listing ended early", b.name)
			}
			if e == nil { // the current values are all in
				return out, nil
			}
			if prev, seen := out[e.Key()]; !seen || prev.Revision < e.Revision() {
				out[e.Key()] = KVEntry{Key: e.Key(), Value: e.Value(), Revision: e.Revision()}
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("streamlog: entries of %s: %w", b.name, ctx.Err())
		}
	}
}

// Watch reports on the channel every write to the bucket made after it
// returns, deletions included, in order. The channel closes when ctx
// ends or the watch breaks.
func (b *KV) Watch(ctx context.Context) (<-chan KVEntry, error) {
	kv, err := b.handle(ctx)
	if err != nil {
		return nil, err
	}
	w, err := kv.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		return nil, fmt.Errorf("streamlog: watch %s: %w", b.name, err)
	}
	out := make(chan KVEntry, 64)
	go func() {
		defer close(out)
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					continue
				}
				select {
				case out <- KVEntry{Key: e.Key(), Value: e.Value(), Revision: e.Revision(), Deleted: e.Operation() != jetstream.KeyValuePut}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
