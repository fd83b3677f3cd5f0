package streamlog

// Lost records. JetStream recovers a damaged block file by dropping what
// it cannot read, and says little (one warning, or nothing when its index
// had to be rebuilt): a stream whose last block was damaged comes back cut
// short, its last sequence lower than before (and new appends would reuse
// the lost numbers, so a reader's position past the damage would skip new
// records); one whose earlier block was damaged has a hole, messages
// missing inside it (which Riffle never deletes by itself: records only
// expire from the front). The log therefore keeps, per stream, the highest
// sequence it appended (its mark: in memory on every append, saved to a
// bucket every few seconds and on Close), and compares at Open and in
// Describe: a last sequence below the mark, or more messages missing
// inside than already known, is a loss. A loss is logged once, kept in
// the bucket until acknowledged (Acknowledge, for a repair command), shown
// by Describe (Info.Lost) and Losses, and a cut-short stream is carried
// past the lost numbers with empty filler messages on a subject no shard
// reads, so new appends get new numbers.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riffle-sql/riffle/internal/throttle"
)

const (
	// marksBucket holds "mark.NAME" (the highest sequence appended) and
	// "lost.NAME" (what was lost and not yet acknowledged) per stream.
	marksBucket = "riffle_streamlog"
	// markEvery is how often the marks are saved: a loss of the records
	// appended since the last save goes unnoticed.
	markEvery = 2 * time.Second
	// maxIndex is the highest record index a sequence number can show:
	// Lost.Through is the last lost batch's number with it.
	maxIndex = 999_999
	// holeDetails is the most missing messages whose numbers are asked
	// for to say where a hole is; beyond, the stream's range bounds it.
	holeDetails = 100_000
	fillerChunk = 1000
)

// mark is what the log knows of a stream's appends.
type mark struct {
	created int64  // the JetStream stream's creation (unix ns); 0 until known
	seq     uint64 // the highest sequence appended
	saved   uint64 // seq as last saved
}

type storedMark struct {
	Created int64  `json:"created"`
	Seq     uint64 `json:"seq"`
}

// lossRecord is a stream's "lost.NAME" value.
type lossRecord struct {
	Created int64 `json:"created"`
	// Batches, First, Last and Detected are the loss not yet acknowledged.
	Batches  int    `json:"batches,omitempty"`
	First    uint64 `json:"first,omitempty"`
	Last     uint64 `json:"last,omitempty"`
	Detected int64  `json:"detected,omitempty"` // unix ms of the latest detection
	// Deleted is how many messages missing inside the stream are already
	// accounted for (JetStream's NumDeleted), acknowledged or not.
	Deleted int `json:"deleted"`
	// Through is the highest sequence the stream is known to have
	// reached: the fillers carry a cut-short stream back to it.
	Through uint64 `json:"through"`
}

func (r lossRecord) lost() Lost {
	if r.Batches == 0 {
		return Lost{}
	}
	return Lost{Batches: r.Batches, First: r.First, Last: r.Last, Detected: time.UnixMilli(r.Detected)}
}

// StreamLoss is one stream's loss not yet acknowledged.
type StreamLoss struct {
	Stream string
	Lost   Lost
}

// Keys hold a stream's name with '=' for '.' (which a key cannot have
// at either end or twice in a row, and a name can).
func markKey(name string) string { return "mark." + strings.ReplaceAll(name, ".", "=") }
func lostKey(name string) string { return "lost." + strings.ReplaceAll(name, ".", "=") }

// keyName is the stream a key is about, and its kind ("mark" or "lost").
func keyName(key string) (string, string) {
	kind, name, _ := strings.Cut(key, ".")
	return strings.ReplaceAll(name, "=", "."), kind
}

// fillerSubject is where the fillers go: in the stream, read by no shard.
func fillerSubject(name string) string { return "rf." + strings.ReplaceAll(name, ".", "~") + ".skip" }

// openMarks loads the marks and losses and checks every stream, then
// starts saving the marks. Without the bucket (a first start on a full
// disk cannot make it) the log runs on, but cannot tell cut-short streams.
func (l *Log) openMarks(ctx context.Context) error {
	l.marks = map[string]*mark{}
	l.losses = map[string]lossRecord{}
	l.pendingSkips = map[string]uint64{}
	kv, err := l.jet().KeyValue(ctx, marksBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = l.jet().CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: marksBucket, Storage: jetstream.FileStorage, Replicas: l.replicas,
			Description: "Riffle: the highest sequence appended to each stream, and what each lost"})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = l.jet().KeyValue(ctx, marksBucket)
		}
	}
	if err != nil {
		l.logger.Error("cannot keep the streams' marks: a stream cut short by damaged storage will not be noticed", "bucket", marksBucket, "err", err)
	} else if err := l.loadMarks(ctx, kv); err != nil {
		l.logger.Error("cannot read the streams' marks: a stream cut short by damaged storage will not be noticed", "bucket", marksBucket, "err", err)
	} else {
		l.marksKV = bind(l, kv, func(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
			return js.KeyValue(ctx, marksBucket)
		})
	}
	lister := l.jet().ListStreams(ctx)
	for si := range lister.Info() {
		name := si.Config.Metadata["riffle.name"]
		if name == "" || jsName(name) != si.Config.Name {
			continue
		}
		created := si.Created.UnixNano()
		l.marksMu.Lock()
		if m := l.marks[name]; m == nil || m.created != created {
			l.marks[name] = &mark{created: created} // none, or a former stream's
		}
		appended := l.marks[name].seq
		l.marksMu.Unlock()
		rec := l.cachedLoss(name, created)
		known := rec.Detected
		if appended > si.State.LastSeq || si.State.NumDeleted != rec.Deleted || si.State.LastSeq < rec.Through {
			checked, err := l.checkLoss(ctx, name)
			if err != nil {
				l.logger.Error("cannot check a stream for lost records", "stream", name, "err", err)
			} else {
				rec = checked
			}
		}
		if rec.Batches > 0 && rec.Detected == known { // not found just now, when it was logged as an error
			l.logger.Warn("stream lost records that are not yet acknowledged", "stream", name, "batches", rec.Batches,
				"first_sequence", rec.lost().From().String(), "last_sequence", rec.lost().Through().String())
		}
	}
	if err := lister.Err(); err != nil {
		return fmt.Errorf("streamlog: list streams: %w", err)
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	l.stopMarks = cancel
	l.marksDone = make(chan struct{})
	go l.saveMarksEvery(loopCtx)
	return nil
}

// loadMarks reads the bucket into memory.
func (l *Log) loadMarks(ctx context.Context, kv jetstream.KeyValue) error {
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("streamlog: read %s: %w", marksBucket, err)
	}
	defer w.Stop()
	for {
		var e jetstream.KeyValueEntry
		select {
		case e = <-w.Updates():
		case <-ctx.Done():
			return fmt.Errorf("streamlog: read %s: %w", marksBucket, ctx.Err())
		}
		if e == nil { // every current value read
			return nil
		}
		var err error
		switch name, kind := keyName(e.Key()); kind {
		case "mark":
			var v storedMark
			if err = json.Unmarshal(e.Value(), &v); err == nil {
				l.marks[name] = &mark{created: v.Created, seq: v.Seq, saved: v.Seq}
			}
		case "lost":
			var v lossRecord
			if err = json.Unmarshal(e.Value(), &v); err == nil {
				l.losses[name] = v
			}
		}
		if err != nil { // hand-edited: written anew when next needed
			l.logger.Warn("an unreadable value in the marks bucket is ignored", "bucket", marksBucket, "key", e.Key(), "err", err)
		}
	}
}

// appended notes an acknowledged append.
func (l *Log) appended(name string, seq uint64) {
	l.marksMu.Lock()
	defer l.marksMu.Unlock()
	m := l.marks[name]
	if m == nil {
		m = &mark{}
		l.marks[name] = m
	}
	m.seq = max(m.seq, seq)
}

// markOf is what the log knows of its appends to a stream.
func (l *Log) markOf(name string) mark {
	l.marksMu.Lock()
	defer l.marksMu.Unlock()
	if m := l.marks[name]; m != nil {
		return *m
	}
	return mark{}
}

// streamIs ties a stream's mark to the stream made at created, starting
// it afresh when the name now belongs to another stream.
func (l *Log) streamIs(name string, created int64) {
	l.marksMu.Lock()
	defer l.marksMu.Unlock()
	switch m := l.marks[name]; {
	case m == nil:
		l.marks[name] = &mark{created: created}
	case m.created == 0:
		m.created = created
	case m.created != created:
		l.marks[name] = &mark{created: created}
	}
}

// cachedLoss is the stream's loss record as last read or written.
func (l *Log) cachedLoss(name string, created int64) lossRecord {
	l.marksMu.Lock()
	defer l.marksMu.Unlock()
	if r, ok := l.losses[name]; ok && r.Created == created {
		return r
	}
	return lossRecord{Created: created}
}

// suspect tells whether a stream's state disagrees with what the log
// knows: cut short below what was appended (as known before the state was
// read) and not yet accounted for, or a different count of messages
// missing inside.
func (l *Log) suspect(name string, before mark, si *jetstream.StreamInfo) bool {
	created := si.Created.UnixNano()
	rec := l.cachedLoss(name, created)
	cut := (before.created == created || before.created == 0) && before.seq > max(si.State.LastSeq, rec.Through)
	return cut || si.State.NumDeleted != rec.Deleted
}

// checkLoss compares a stream with its mark and loss record, records a
// new loss (saying so in the log), and carries a cut-short stream past
// the lost numbers. One check runs at a time; nodes sharing the bucket
// take turns by revision.
func (l *Log) checkLoss(ctx context.Context, name string) (lossRecord, error) {
	l.lossMu.Lock()
	defer l.lossMu.Unlock()
	for attempt := 0; ; attempt++ {
		s, err := l.stream(ctx, name, "check")
		if err != nil {
			return lossRecord{}, err
		}
		si := s.CachedInfo()
		created := si.Created.UnixNano()
		l.streamIs(name, created)
		appended := l.markOf(name).seq
		rec, rev, err := l.loadLoss(ctx, name, created)
		if err != nil {
			return rec, err
		}
		before := rec
		n := 0
		var first, last uint64
		if d := si.State.NumDeleted - rec.Deleted; d > 0 { // a hole
			n += d
			first, last = l.hole(ctx, s, si)
		}
		rec.Deleted = si.State.NumDeleted
		if top := max(si.State.LastSeq, rec.Through); appended > top { // cut short
			n += int(appended - top)
			first, last = nonZeroMin(first, top+1), max(last, appended)
		}
		rec.Through = max(rec.Through, appended)
		if n > 0 {
			rec.Batches += n
			rec.First, rec.Last = nonZeroMin(rec.First, first), max(rec.Last, last)
			rec.Detected = time.Now().UnixMilli()
		}
		saved := true
		if rec != before {
			err := l.saveLoss(ctx, name, rec, rev)
			if errors.Is(err, ErrConflict) && attempt < 5 {
				continue // another node recorded something meanwhile
			}
			if err != nil {
				// Said now; the stream's state still shows it at the next start.
				l.logger.Error("cannot record a stream's lost records", "stream", name, "err", err)
				saved = false
			}
		}
		l.marksMu.Lock()
		l.losses[name] = rec
		l.marksMu.Unlock()
		if n > 0 {
			lost := Lost{First: first, Last: last}
			l.logger.Error("stream storage lost records: the store dropped what it could not read",
				"stream", name, "batches", n, "first_sequence", lost.From().String(), "last_sequence", lost.Through().String(),
				"unacknowledged_batches", rec.Batches)
		}
		if saved && si.State.LastSeq < rec.Through {
			if err := l.skipTo(ctx, name, rec.Through); err != nil {
				l.logger.Error("cannot carry a stream past its lost sequence numbers yet: new appends may reuse them", "stream", name, "err", err)
				l.marksMu.Lock()
				l.pendingSkips[name] = rec.Through // the mark saver tries again
				l.marksMu.Unlock()
			}
		}
		return rec, nil
	}
}

// retrySkips carries on the fills that failed (a full disk).
func (l *Log) retrySkips(ctx context.Context) {
	l.marksMu.Lock()
	pending := maps.Clone(l.pendingSkips)
	l.marksMu.Unlock()
	for name, through := range pending {
		err := l.skipTo(ctx, name, through)
		if err != nil && !errors.Is(err, ErrNotFound) {
			l.markErrors.Error("cannot carry a stream past its lost sequence numbers yet: new appends may reuse them", "stream", name, "err", err)
			continue
		}
		l.marksMu.Lock()
		if l.pendingSkips[name] == through {
			delete(l.pendingSkips, name)
		}
		l.marksMu.Unlock()
	}
}

// hole bounds the messages missing inside a stream.
func (l *Log) hole(ctx context.Context, s jetstream.Stream, si *jetstream.StreamInfo) (uint64, uint64) {
	if si.State.NumDeleted <= holeDetails {
		if detail, err := s.Info(ctx, jetstream.WithDeletedDetails(true)); err == nil && len(detail.State.Deleted) > 0 {
			first, last := detail.State.Deleted[0], detail.State.Deleted[0]
			for _, seq := range detail.State.Deleted {
				first, last = min(first, seq), max(last, seq)
			}
			return first, last
		}
	}
	return si.State.FirstSeq, si.State.LastSeq
}

func nonZeroMin(a, b uint64) uint64 {
	if a == 0 {
		return b
	}
	if b == 0 {
		return a
	}
	return min(a, b)
}

// skipTo publishes empty fillers until the stream's last sequence is at
// least through, so that no new append reuses a lost number.
func (l *Log) skipTo(ctx context.Context, name string, through uint64) error {
	for {
		last, err := l.Last(ctx, name)
		if err != nil {
			return err
		}
		if last >= through {
			return nil
		}
		if err := l.roomFor(fillerChunk * 100); err != nil { // not into a disk that cannot take them
			return err
		}
		futures := make([]jetstream.PubAckFuture, 0, fillerChunk)
		for range min(through-last, fillerChunk) {
			f, err := l.jet().PublishAsync(fillerSubject(name), nil)
			if err != nil {
				return fmt.Errorf("streamlog: carry %s past its lost records: %w", name, err)
			}
			futures = append(futures, f)
		}
		for _, f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return fmt.Errorf("streamlog: carry %s past its lost records: %w", name, err)
			case <-ctx.Done():
				return fmt.Errorf("streamlog: carry %s past its lost records: %w", name, ctx.Err())
			}
		}
	}
}

// loadLoss reads a stream's loss record and its revision (0: none), or
// the cached one without the bucket.
func (l *Log) loadLoss(ctx context.Context, name string, created int64) (lossRecord, uint64, error) {
	if l.marksKV == nil {
		return l.cachedLoss(name, created), 0, nil
	}
	kv, err := l.marksKV.get(ctx)
	if err != nil {
		return lossRecord{}, 0, fmt.Errorf("streamlog: read the losses of %s: %w", name, err)
	}
	e, err := kv.Get(ctx, lostKey(name))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return lossRecord{Created: created}, 0, nil
	}
	if err != nil {
		return lossRecord{}, 0, fmt.Errorf("streamlog: read the losses of %s: %w", name, err)
	}
	var rec lossRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil || rec.Created != created {
		rec = lossRecord{Created: created} // unreadable, or a former stream's
	}
	return rec, e.Revision(), nil
}

// saveLoss writes a loss record if the key is still at revision (0: absent).
func (l *Log) saveLoss(ctx context.Context, name string, rec lossRecord, revision uint64) error {
	if l.marksKV == nil {
		return fmt.Errorf("streamlog: no %s bucket", marksBucket)
	}
	value, _ := json.Marshal(rec)
	kv, err := l.marksKV.get(ctx)
	if err != nil {
		return fmt.Errorf("streamlog: save the losses of %s: %w", name, err)
	}
	if revision == 0 {
		_, err = kv.Create(ctx, lostKey(name), value)
	} else {
		_, err = kv.Update(ctx, lostKey(name), value, revision)
	}
	if isConflict(err) {
		return fmt.Errorf("%w: %s", ErrConflict, lostKey(name))
	}
	if err != nil {
		return fmt.Errorf("streamlog: record the losses of %s: %w", name, err)
	}
	return nil
}

func isConflict(err error) bool {
	var api *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) ||
		errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// saveMarksEvery saves the marks until ctx ends.
func (l *Log) saveMarksEvery(ctx context.Context) {
	defer close(l.marksDone)
	ticker := time.NewTicker(markEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			l.saveMarks(ctx)
			l.retrySkips(ctx)
		}
	}
}

// saveMarks writes the marks that moved. A mark only rises: one lower
// than the bucket's (another node's appends) is not written.
func (l *Log) saveMarks(ctx context.Context) {
	if l.marksKV == nil {
		return
	}
	type move struct {
		name         string
		created      int64
		seq          uint64
		fetchCreated bool
	}
	var moves []move
	l.marksMu.Lock()
	for name, m := range l.marks {
		if m.seq > m.saved {
			moves = append(moves, move{name: name, created: m.created, seq: m.seq, fetchCreated: m.created == 0})
		}
	}
	l.marksMu.Unlock()
	for _, mv := range moves {
		if mv.fetchCreated { // appended to without a Describe first
			s, err := l.stream(ctx, mv.name, "save the mark of")
			if err != nil {
				l.markErrors.Error("cannot save a stream's mark", "stream", mv.name, "err", err)
				continue
			}
			mv.created = s.CachedInfo().Created.UnixNano()
			l.streamIs(mv.name, mv.created)
		}
		if err := l.saveMark(ctx, mv.name, mv.created, mv.seq); err != nil {
			l.markErrors.Error("cannot save a stream's mark", "stream", mv.name, "err", err)
			continue
		}
		l.marksMu.Lock()
		if m := l.marks[mv.name]; m != nil && m.created == mv.created {
			m.saved = max(m.saved, mv.seq)
		}
		l.marksMu.Unlock()
	}
}

func (l *Log) saveMark(ctx context.Context, name string, created int64, seq uint64) error {
	value, _ := json.Marshal(storedMark{Created: created, Seq: seq})
	kv, err := l.marksKV.get(ctx)
	if err != nil {
		return err
	}
	e, err := kv.Get(ctx, markKey(name))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		_, err = kv.Create(ctx, markKey(name), value)
	case err == nil:
		var stored storedMark
		if json.Unmarshal(e.Value(), &stored) == nil && stored.Created == created && stored.Seq >= seq {
			return nil
		}
		_, err = kv.Update(ctx, markKey(name), value, e.Revision())
	}
	if isConflict(err) {
		return nil // another node wrote it meanwhile: tried again at the next save
	}
	return err
}

// forget drops a deleted or new stream's mark and losses.
func (l *Log) forget(ctx context.Context, name string) {
	l.marksMu.Lock()
	delete(l.marks, name)
	delete(l.losses, name)
	delete(l.pendingSkips, name)
	l.marksMu.Unlock()
	if l.marksKV != nil {
		kv, err := l.marksKV.get(ctx)
		if err != nil {
			l.logger.Warn("cannot clear a stream's mark", "stream", name, "err", err)
			return
		}
		for _, key := range []string{markKey(name), lostKey(name)} {
			if err := kv.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				l.logger.Warn("cannot clear a stream's mark", "stream", name, "err", err)
			}
		}
	}
}

// Losses lists the streams whose storage lost records not yet
// acknowledged, by name: for a repair command.
func (l *Log) Losses(ctx context.Context) ([]StreamLoss, error) {
	records := map[string]lossRecord{}
	if l.marksKV == nil {
		l.marksMu.Lock()
		for name, rec := range l.losses {
			records[name] = rec
		}
		l.marksMu.Unlock()
	} else {
		kv, err := l.marksKV.get(ctx)
		var w jetstream.KeyWatcher
		if err == nil {
			w, err = kv.Watch(ctx, "lost.>", jetstream.IgnoreDeletes())
		}
		if err != nil {
			return nil, fmt.Errorf("streamlog: read %s: %w", marksBucket, err)
		}
		defer w.Stop()
		for done := false; !done; {
			select {
			case e := <-w.Updates():
				if e == nil {
					done = true
					break
				}
				var rec lossRecord
				if json.Unmarshal(e.Value(), &rec) == nil {
					name, _ := keyName(e.Key())
					records[name] = rec
				}
			case <-ctx.Done():
				return nil, fmt.Errorf("streamlog: read %s: %w", marksBucket, ctx.Err())
			}
		}
	}
	var out []StreamLoss
	lister := l.jet().ListStreams(ctx)
	for si := range lister.Info() {
		name := si.Config.Metadata["riffle.name"]
		if rec, ok := records[name]; ok && name != "" && rec.Created == si.Created.UnixNano() && rec.Batches > 0 {
			out = append(out, StreamLoss{Stream: name, Lost: rec.lost()})
		}
	}
	if err := lister.Err(); err != nil {
		return nil, fmt.Errorf("streamlog: list streams: %w", err)
	}
	sortLosses(out)
	return out, nil
}

// Acknowledge clears a stream's recorded loss (once a repair has dealt
// with it), and returns what it was. A stream without one is left as is.
func (l *Log) Acknowledge(ctx context.Context, name string) (Lost, error) {
	l.lossMu.Lock()
	defer l.lossMu.Unlock()
	for attempt := 0; ; attempt++ {
		s, err := l.stream(ctx, name, "acknowledge")
		if err != nil {
			return Lost{}, err
		}
		created := s.CachedInfo().Created.UnixNano()
		rec, rev, err := l.loadLoss(ctx, name, created)
		if err != nil {
			return Lost{}, err
		}
		was := rec.lost()
		if rec.Batches == 0 {
			return was, nil
		}
		rec.Batches, rec.First, rec.Last, rec.Detected = 0, 0, 0, 0
		if l.marksKV != nil {
			err := l.saveLoss(ctx, name, rec, rev)
			if errors.Is(err, ErrConflict) && attempt < 5 {
				continue
			}
			if err != nil {
				return Lost{}, err
			}
		}
		l.marksMu.Lock()
		l.losses[name] = rec
		l.marksMu.Unlock()
		l.logger.Info("a stream's lost records are acknowledged", "stream", name, "batches", was.Batches)
		return was, nil
	}
}

// newMarkErrors rate-limits the mark saver's complaints (a full disk
// would have it fail every few seconds).
func newMarkErrors(l *Log) *throttle.Log {
	return &throttle.Log{Logger: l.logger, Every: time.Minute, Clock: clockwork.NewRealClock()}
}
