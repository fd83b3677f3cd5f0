package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/riffle-sql/riffle/awskinesis"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/streamlog"
)

// Store keeps what the service knows of its applications in JetStream
// buckets beside the data: definitions, checkpoints and the outputs'
// acknowledgements. Every write is a compare-and-set on the revision its
// writer last read, so two writers (two requests, or one day two nodes)
// never overwrite each other unseen: the one that lost is told
// (ErrVersion for definitions, streamlog.ErrConflict for checkpoints and
// acknowledgements).
type Store struct {
	defs *streamlog.KV // riffle_applications: definitions by name
	// Checkpoints hold whole forests, more than a NATS message may carry:
	// the body goes to an object bucket under a new name each time, and a
	// small head in a key-value bucket, written with compare-and-set,
	// says which body is current.
	heads *streamlog.KV // riffle_checkpoint_heads
	blobs objects       // riffle_checkpoints
	acks  *streamlog.KV // riffle_deliveries
	node  string        // this server's node name, written in checkpoint heads
}

// objects is what the store needs of an object bucket (a seam where tests
// make a write fail).
type objects interface {
	Put(ctx context.Context, key string, value []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

// OpenStore opens (creating if needed) the store's buckets.
func OpenStore(ctx context.Context, l *streamlog.Log) (*Store, error) {
	var s Store
	var err error
	if s.defs, err = l.Bucket(ctx, "riffle_applications"); err != nil {
		return nil, err
	}
	if s.heads, err = l.Bucket(ctx, "riffle_checkpoint_heads"); err != nil {
		return nil, err
	}
	if s.blobs, err = l.ObjectBucket(ctx, "riffle_checkpoints"); err != nil {
		return nil, err
	}
	if s.acks, err = l.Bucket(ctx, "riffle_deliveries"); err != nil {
		return nil, err
	}
	return &s, nil
}

var appName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)

func checkName(name string) error {
	if !appName.MatchString(name) {
		return fmt.Errorf("%w: application name %q: 1 to 128 letters, digits, _ . -", ErrInvalid, name)
	}
	return nil
}

// Get reads an application and the revision to update it at.
func (s *Store) Get(ctx context.Context, name string) (Application, uint64, error) {
	if err := checkName(name); err != nil {
		return Application{}, 0, err
	}
	data, rev, err := s.defs.Entry(ctx, name)
	if errors.Is(err, streamlog.ErrNotFound) {
		return Application{}, 0, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return Application{}, 0, fmt.Errorf("application %s: %w", name, err)
	}
	a, err := decodeDefinition(name, data)
	if err != nil {
		return a, 0, err
	}
	return a, rev, nil
}

func decodeDefinition(name string, data []byte) (Application, error) {
	var a Application
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("%w: the definition of application %s: %v (riffle repair resets it)", ErrDamaged, name, err)
	}
	return a, nil
}

// List reads every application, by name. One deleted between listing the
// names and reading it is left out, not an error, and so is one whose
// definition cannot be read (Scan tells those).
func (s *Store) List(ctx context.Context) ([]Application, error) {
	apps, _, err := s.Scan(ctx)
	return apps, err
}

// Damage is a stored record that cannot be read.
type Damage struct {
	Application string
	What        string // "definition", "checkpoint", "acknowledgements of output ID"
	Reason      string
}

func (d Damage) String() string {
	return fmt.Sprintf("the %s of application %s cannot be read: %s", d.What, d.Application, d.Reason)
}

// Scan reads every application, by name, in one pass over the bucket, and
// tells apart the definitions that cannot be read.
func (s *Store) Scan(ctx context.Context) ([]Application, []Damage, error) {
	entries, err := s.defs.Entries(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list applications: %w", err)
	}
	out := make([]Application, 0, len(entries))
	var damaged []Damage
	for k, e := range entries {
		if err := checkName(k); err != nil {
			damaged = append(damaged, Damage{Application: k, What: "definition", Reason: err.Error()})
			continue
		}
		a, err := decodeDefinition(k, e.Value)
		if err != nil {
			damaged = append(damaged, Damage{Application: k, What: "definition", Reason: err.Error()})
			continue
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	sort.Slice(damaged, func(i, j int) bool { return damaged[i].Application < damaged[j].Application })
	return out, damaged, nil
}

// Create stores a new application, giving it its UID; ErrInUse if the
// name is taken.
func (s *Store) Create(ctx context.Context, a *Application) (uint64, error) {
	if err := checkName(a.Name); err != nil {
		return 0, err
	}
	a.UID = newUID()
	data, err := json.Marshal(a)
	if err != nil {
		return 0, err
	}
	rev, err := s.defs.Create(ctx, a.Name, data)
	if errors.Is(err, streamlog.ErrExists) {
		return 0, fmt.Errorf("%w: application %s already exists", ErrInUse, a.Name)
	}
	return rev, err
}

// Update stores an application read at revision rev; ErrVersion if it
// changed since.
func (s *Store) Update(ctx context.Context, a Application, rev uint64) (uint64, error) {
	data, err := json.Marshal(a)
	if err != nil {
		return 0, err
	}
	next, err := s.defs.Update(ctx, a.Name, data, rev)
	if errors.Is(err, streamlog.ErrConflict) {
		return 0, fmt.Errorf("%w: application %s was changed by another request meanwhile; read it again", ErrVersion, a.Name)
	}
	return next, err
}

// Delete removes an application read at revision rev with everything it
// left: its outputs' acknowledgements and its checkpoint first, the
// definition last, so a failure leaves an application that can be
// deleted again rather than leftovers nobody owns.
func (s *Store) Delete(ctx context.Context, a Application, rev uint64) error {
	for _, out := range a.Outputs {
		if err := s.deleteAcks(ctx, a, out.ID); err != nil {
			return err
		}
	}
	if err := s.deleteCheckpoint(ctx, a.Name); err != nil {
		return err
	}
	err := s.defs.DeleteAt(ctx, a.Name, rev)
	if errors.Is(err, streamlog.ErrConflict) {
		return fmt.Errorf("%w: application %s was changed by another request meanwhile; read it again", ErrVersion, a.Name)
	}
	return err
}

func newUID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// checkpoint is what a running application saves, in one write so that
// positions and state always agree: no record counted twice, none lost.
type checkpoint struct {
	Positions positions // nil when the input changed: start from now
	// Unfed says, per shard, which records after Positions are not fed
	// yet, when records stored after the first one not fed were (they
	// arrived before it). Nil: every record after Positions is to feed.
	Unfed []unfedRecords `json:",omitempty"`
	// Shards are the positions of a Kinesis input that is not a stream of
	// this server, by shard id (nil when the input changed): the first
	// record not fed (At), or after the last one fed (After), the start
	// of a shard not read yet, a closed shard done. Checkpoints before
	// remote inputs have none.
	Shards map[string]awskinesis.Position `json:",omitempty"`
	Engine []byte                         // the engine's snapshot; nil after a code change
	// Outputs are the outputs' rows not yet delivered, by output id.
	Outputs map[string]destination.State `json:",omitempty"`
}

// positions are the next record to read, per shard.
type positions []streamlog.Seq

// checkpointHead says which stored body is an application's checkpoint.
type checkpointHead struct {
	UID    string // the application's: a head of an earlier one is stale
	Object string
	// Node is the node that wrote it (none on a single server): who ran
	// the application, for whoever reads the head's history.
	Node string `json:",omitempty"`
}

// LoadCheckpoint reads an application's checkpoint (ok false when it has
// none) and the revision to save the next one at.
func (s *Store) LoadCheckpoint(ctx context.Context, a Application) (c checkpoint, rev uint64, ok bool, err error) {
	head, rev, err := s.head(ctx, a.Name)
	object := head.Object
	switch {
	case errors.Is(err, streamlog.ErrNotFound) && a.UID == "":
		object = a.Name // kept under the name before heads
	case errors.Is(err, streamlog.ErrNotFound):
		return c, 0, false, nil
	case err != nil:
		return c, 0, false, err
	case head.UID != a.UID:
		return c, rev, false, nil // an earlier application's of the same name
	}
	data, err := s.blobs.Get(ctx, object)
	if errors.Is(err, streamlog.ErrNotFound) && rev == 0 {
		return c, 0, false, nil
	}
	if errors.Is(err, streamlog.ErrNotFound) {
		return c, rev, false, fmt.Errorf("%w: the checkpoint of application %s: its body %s is missing (riffle repair resets it)", ErrDamaged, a.Name, object)
	}
	if err != nil {
		return c, rev, false, fmt.Errorf("checkpoint of %s: %w", a.Name, err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, rev, false, fmt.Errorf("%w: the checkpoint of application %s: %v (riffle repair resets it)", ErrDamaged, a.Name, err)
	}
	return c, rev, true, nil
}

func (s *Store) head(ctx context.Context, name string) (checkpointHead, uint64, error) {
	var h checkpointHead
	data, rev, err := s.heads.Entry(ctx, name)
	if err != nil {
		return h, 0, err
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return h, 0, fmt.Errorf("%w: the checkpoint head of application %s: %v (riffle repair resets it)", ErrDamaged, name, err)
	}
	return h, rev, nil
}

// SaveCheckpoint writes an application's checkpoint over the one at
// revision rev (0: none yet) and returns the new revision. If another
// writer saved one since, nothing changes and the error is
// streamlog.ErrConflict: the caller no longer owns the application.
func (s *Store) SaveCheckpoint(ctx context.Context, a Application, c checkpoint, rev uint64) (uint64, error) {
	old, current, err := s.head(ctx, a.Name)
	if err != nil && !errors.Is(err, streamlog.ErrNotFound) {
		return 0, err
	}
	if current != rev {
		return 0, fmt.Errorf("checkpoint of %s: %w: at revision %d, not %d", a.Name, streamlog.ErrConflict, current, rev)
	}
	data, err := json.Marshal(c)
	if err != nil {
		return 0, fmt.Errorf("checkpoint of %s: %w", a.Name, err)
	}
	head := checkpointHead{UID: a.UID, Object: a.Name + "/" + newUID(), Node: s.node}
	if err := s.blobs.Put(ctx, head.Object, data); err != nil {
		return 0, fmt.Errorf("checkpoint of %s: %w", a.Name, err)
	}
	hd, _ := json.Marshal(head)
	var next uint64
	if rev == 0 {
		next, err = s.heads.Create(ctx, a.Name, hd)
		if errors.Is(err, streamlog.ErrExists) {
			err = fmt.Errorf("%w: another checkpoint was saved meanwhile", streamlog.ErrConflict)
		}
	} else {
		next, err = s.heads.Update(ctx, a.Name, hd, rev)
	}
	if err != nil {
		s.blobs.Delete(ctx, head.Object) // never current: garbage
		return 0, fmt.Errorf("checkpoint of %s: %w", a.Name, err)
	}
	// The body the head pointed to is no longer anybody's (a failure here
	// leaves garbage, never a wrong checkpoint).
	if rev != 0 {
		s.blobs.Delete(ctx, old.Object)
	} else if a.UID == "" {
		s.blobs.Delete(ctx, a.Name)
	}
	return next, nil
}

// deleteCheckpoint removes an application's checkpoint, body and head,
// also when the head cannot be read.
func (s *Store) deleteCheckpoint(ctx context.Context, name string) error {
	head, rev, err := s.head(ctx, name)
	switch {
	case errors.Is(err, streamlog.ErrNotFound):
	case errors.Is(err, ErrDamaged): // its body cannot be known: garbage
		if err := s.heads.Delete(ctx, name); err != nil {
			return fmt.Errorf("delete the checkpoint of %s: %w", name, err)
		}
	case err != nil:
		return fmt.Errorf("delete the checkpoint of %s: %w", name, err)
	default:
		if err := s.blobs.Delete(ctx, head.Object); err != nil {
			return fmt.Errorf("delete the checkpoint of %s: %w", name, err)
		}
		if err := s.heads.DeleteAt(ctx, name, rev); err != nil {
			return fmt.Errorf("delete the checkpoint of %s: %w", name, err)
		}
	}
	if err := s.blobs.Delete(ctx, name); err != nil { // kept under the name before heads
		return fmt.Errorf("delete the checkpoint of %s: %w", name, err)
	}
	return nil
}

// ackKey names an output's acknowledgements: "=" is in no application
// name, and the UID keeps an earlier application's apart.
func ackKey(a Application, outputID string) string {
	if a.UID == "" {
		return a.Name + "=" + outputID
	}
	return a.Name + "=" + a.UID + "=" + outputID
}

// deleteAcks removes an output's acknowledgements.
func (s *Store) deleteAcks(ctx context.Context, a Application, outputID string) error {
	if err := s.acks.Delete(ctx, ackKey(a, outputID)); err != nil {
		return fmt.Errorf("delete the acknowledgements of %s output %s: %w", a.Name, outputID, err)
	}
	return nil
}

// outputAcks keeps one output's acknowledgements, each write a
// compare-and-set on the revision the output last read or wrote.
type outputAcks struct {
	kv  *streamlog.KV
	key string
	rev uint64
}

func (s *Store) outputAcks(a Application, outputID string) *outputAcks {
	return &outputAcks{kv: s.acks, key: ackKey(a, outputID)}
}

func (k *outputAcks) Load(ctx context.Context) (destination.Acked, bool, error) {
	var a destination.Acked
	data, rev, err := k.kv.Entry(ctx, k.key)
	if errors.Is(err, streamlog.ErrNotFound) {
		return a, false, nil
	}
	if err != nil {
		return a, false, err
	}
	k.rev = rev
	if err := json.Unmarshal(data, &a); err != nil {
		return a, false, fmt.Errorf("%w: the acknowledgements %s: %v (riffle repair resets them)", ErrDamaged, k.key, err)
	}
	return a, true, nil
}

func (k *outputAcks) Save(ctx context.Context, a destination.Acked) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	var rev uint64
	if k.rev == 0 {
		rev, err = k.kv.Create(ctx, k.key, data)
	} else {
		rev, err = k.kv.Update(ctx, k.key, data, k.rev)
	}
	if err != nil {
		return err
	}
	k.rev = rev
	return nil
}
