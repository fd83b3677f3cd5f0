package ingest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/riffle-sql/riffle/internal/awsjson"
	"github.com/riffle-sql/riffle/internal/shardid"
	"github.com/riffle-sql/riffle/streamlog"
)

// Kinesis Data Streams (Kinesis_20131202): a stream has shards; a record's
// partition key, hashed with MD5 to a 128-bit number, picks the shard whose
// hash-key range holds it, the ranges splitting 0..2^128-1 evenly.

const (
	kinesisKind      = "kinesis"
	maxShards        = 500
	maxPartitionKey  = 256
	maxKinesisRecord = 1 << 20 // data plus partition key
	maxGetRecords    = 10000
	// maxGetBytes is the service's cap on the record data one GetRecords
	// answers: a shard holding more is read in several calls.
	maxGetBytes      = 10 << 20
	iteratorLifetime = 5 * time.Minute
)

var (
	streamName = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)
	hashSpace  = streamlog.HashSpace()
)

func (s *API) kinesisOps() map[string]awsjson.Operation {
	return map[string]awsjson.Operation{
		"CreateStream":          s.createStream,
		"DeleteStream":          s.deleteStream,
		"DescribeStream":        s.describeStream,
		"DescribeStreamSummary": s.describeStreamSummary,
		"ListStreams":           s.listStreams,
		"ListShards":            s.listShards,
		"PutRecord":             s.kinesisPutRecord,
		"PutRecords":            s.kinesisPutRecords,
		"GetShardIterator":      s.getShardIterator,
		"GetRecords":            s.getRecords,
	}
}

func checkStreamName(name string) error {
	switch {
	case len(name) < 1 || len(name) > 128:
		return awsjson.Validation("streamName", name, "Member must have length between 1 and 128")
	case !streamName.MatchString(name):
		return awsjson.Validation("streamName", name, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	}
	return nil
}

func (s *API) streamARN(name string) string {
	return fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", s.opts.Region, s.opts.Account, name)
}

func (s *API) kinesisNotFound(name string) error {
	return awsjson.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "Stream %s under account %s not found.", name, s.opts.Account)
}

// dataStream checks that a Kinesis stream exists.
func (s *API) dataStream(ctx context.Context, name string) (streamlog.Info, error) {
	if err := checkStreamName(name); err != nil {
		return streamlog.Info{}, err
	}
	info, err := s.log.Describe(ctx, name)
	if errors.Is(err, streamlog.ErrNotFound) || err == nil && info.Kind != kinesisKind {
		return info, s.kinesisNotFound(name)
	}
	return info, putError(err)
}

func shardID(i int) string { return shardid.Format(i) }

func parseShardID(id string, shards int) (int, bool) {
	n, ok := shardid.Parse(id)
	return n, ok && n < shards
}

// hashRange is shard i's hash keys, [start, end].
func hashRange(i, shards int) (*big.Int, *big.Int) {
	width := new(big.Int).Div(hashSpace, big.NewInt(int64(shards)))
	start := new(big.Int).Mul(width, big.NewInt(int64(i)))
	end := new(big.Int).Add(start, width)
	if i == shards-1 {
		end = new(big.Int).Set(hashSpace)
	}
	return start, end.Sub(end, big.NewInt(1))
}

// shardFor maps a partition key (or an explicit hash key) to its shard.
func shardFor(partitionKey, explicitHashKey string, shards int) (int, error) {
	if explicitHashKey == "" {
		return streamlog.ShardForKey(partitionKey, shards), nil
	}
	h := new(big.Int)
	if _, ok := h.SetString(explicitHashKey, 10); !ok || h.Sign() < 0 || h.Cmp(hashSpace) >= 0 {
		return 0, awsjson.Validation("explicitHashKey", explicitHashKey, "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})")
	}
	return streamlog.ShardForHash(h, shards), nil
}

func (s *API) createStream(ctx context.Context, body []byte) (any, error) {
	var req struct {
		StreamName string
		ShardCount *int
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkStreamName(req.StreamName); err != nil {
		return nil, err
	}
	shards := 1
	if req.ShardCount != nil {
		shards = *req.ShardCount
	}
	if shards < 1 || shards > maxShards {
		return nil, awsjson.Validation("shardCount", strconv.Itoa(shards), fmt.Sprintf("Member must have value between 1 and %d", maxShards))
	}
	if err := s.log.Create(ctx, req.StreamName, kinesisKind, shards); err != nil {
		if errors.Is(err, streamlog.ErrExists) {
			return nil, awsjson.Errorf(http.StatusBadRequest, "ResourceInUseException", "Stream %s under account %s already exists.", req.StreamName, s.opts.Account)
		}
		return nil, err
	}
	return struct{}{}, nil
}

func (s *API) deleteStream(ctx context.Context, body []byte) (any, error) {
	var req struct{ StreamName string }
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if _, err := s.dataStream(ctx, req.StreamName); err != nil {
		return nil, err
	}
	if err := s.notInUse(ctx, "Stream", req.StreamName); err != nil {
		return nil, err
	}
	return struct{}{}, s.log.Delete(ctx, req.StreamName)
}

func (s *API) shardList(info streamlog.Info) []map[string]any {
	shards := make([]map[string]any, info.Shards)
	for i := range shards {
		start, end := hashRange(i, info.Shards)
		shards[i] = map[string]any{
			"ShardId":             shardID(i),
			"HashKeyRange":        map[string]string{"StartingHashKey": start.String(), "EndingHashKey": end.String()},
			"SequenceNumberRange": map[string]string{"StartingSequenceNumber": streamlog.Seq{}.String()},
		}
	}
	return shards
}

func (s *API) describeStream(ctx context.Context, body []byte) (any, error) {
	var req struct{ StreamName string }
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	info, err := s.dataStream(ctx, req.StreamName)
	if err != nil {
		return nil, err
	}
	desc := map[string]any{
		"StreamName":              info.Name,
		"StreamARN":               s.streamARN(info.Name),
		"StreamStatus":            "ACTIVE",
		"Shards":                  s.shardList(info),
		"HasMoreShards":           false,
		"RetentionPeriodHours":    int(s.log.Retention().Hours()),
		"StreamCreationTimestamp": float64(info.Created.UnixMilli()) / 1000,
		"EnhancedMonitoring":      []any{},
		"EncryptionType":          "NONE",
	}
	if lost := lostData(info.Lost); lost != nil {
		desc["RiffleLostData"] = lost
	}
	return map[string]any{"StreamDescription": desc}, nil
}

func (s *API) describeStreamSummary(ctx context.Context, body []byte) (any, error) {
	var req struct{ StreamName string }
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	info, err := s.dataStream(ctx, req.StreamName)
	if err != nil {
		return nil, err
	}
	desc := map[string]any{
		"StreamName":              info.Name,
		"StreamARN":               s.streamARN(info.Name),
		"StreamStatus":            "ACTIVE",
		"OpenShardCount":          info.Shards,
		"RetentionPeriodHours":    int(s.log.Retention().Hours()),
		"StreamCreationTimestamp": float64(info.Created.UnixMilli()) / 1000,
		"EnhancedMonitoring":      []any{},
		"EncryptionType":          "NONE",
		"ConsumerCount":           0,
	}
	if lost := lostData(info.Lost); lost != nil {
		desc["RiffleLostData"] = lost
	}
	return map[string]any{"StreamDescriptionSummary": desc}, nil
}

func (s *API) listStreams(ctx context.Context, body []byte) (any, error) {
	var req struct {
		Limit                    int
		ExclusiveStartStreamName string
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if req.Limit == 0 {
		req.Limit = 100
	}
	if req.Limit < 1 || req.Limit > 10000 {
		return nil, awsjson.Validation("limit", strconv.Itoa(req.Limit), "Member must have value between 1 and 10000")
	}
	infos, err := s.log.List(ctx, kinesisKind)
	if err != nil {
		return nil, err
	}
	names := []string{}
	more := false
	for _, info := range infos {
		if info.Name <= req.ExclusiveStartStreamName {
			continue
		}
		if len(names) == req.Limit {
			more = true
			break
		}
		names = append(names, info.Name)
	}
	return map[string]any{"StreamNames": names, "HasMoreStreams": more}, nil
}

func (s *API) listShards(ctx context.Context, body []byte) (any, error) {
	var req struct{ StreamName string }
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	info, err := s.dataStream(ctx, req.StreamName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Shards": s.shardList(info)}, nil
}

// kinesisRecord is a Kinesis put's record: fastPut's shape exactly.
type kinesisRecord = putRecord

// kinesisRecords decodes records, arrived now, and picks their shards.
func kinesisRecords(in []kinesisRecord, shards int, now time.Time) ([]streamlog.Record, []int, error) {
	recs := make([]streamlog.Record, len(in))
	shardOf := make([]int, len(in))
	for i, r := range in {
		field := fmt.Sprintf("records.%d.member", i+1)
		if len(in) == 1 {
			field = ""
		}
		if !r.Data.present {
			return nil, nil, awsjson.Validation(field+"data", "null", "Member must not be null")
		}
		if len(r.PartitionKey) < 1 || len(r.PartitionKey) > maxPartitionKey {
			return nil, nil, awsjson.Validation(field+"partitionKey", r.PartitionKey, "Member must have length between 1 and 256")
		}
		data, err := r.Data.data, r.Data.err
		if err != nil {
			return nil, nil, awsjson.Errorf(http.StatusBadRequest, "SerializationException", "record %d: Data is not base64: %v", i+1, err)
		}
		if len(data)+len(r.PartitionKey) > maxKinesisRecord {
			return nil, nil, awsjson.Validation(field+"data", "...", "Member must have length less than or equal to 1048576")
		}
		shard, err := shardFor(r.PartitionKey, r.ExplicitHashKey, shards)
		if err != nil {
			return nil, nil, err
		}
		recs[i] = streamlog.Record{Data: data, PartitionKey: r.PartitionKey, Arrival: now}
		shardOf[i] = shard
	}
	return recs, shardOf, nil
}

func (s *API) kinesisPutRecord(ctx context.Context, body []byte) (any, error) {
	var req struct {
		StreamName string
		kinesisRecord
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	info, err := s.dataStream(ctx, req.StreamName)
	if err != nil {
		return nil, err
	}
	recs, shardOf, err := kinesisRecords([]kinesisRecord{req.kinesisRecord}, info.Shards, s.opts.Clock.Now())
	if err != nil {
		return nil, err
	}
	seqs, err := s.append(ctx, "kinesis", req.StreamName, shardOf[0], recs)
	if err != nil {
		return nil, putError(err)
	}
	s.metrics.stored("kinesis", recs)
	return map[string]any{"ShardId": shardID(shardOf[0]), "SequenceNumber": seqs[0].String(), "EncryptionType": "NONE"}, nil
}

func (s *API) kinesisPutRecords(ctx context.Context, body []byte) (any, error) {
	var req struct {
		StreamName string
		Records    []kinesisRecord
	}
	if fast, ok := fastPut(&s.parsers, body, "StreamName"); ok {
		req.StreamName, req.Records = fast.Stream, fast.Records
	} else if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if n := len(req.Records); n < 1 || n > maxBatchCount {
		return nil, awsjson.Validation("records", fmt.Sprintf("%d records", n), "Member must have length between 1 and 500")
	}
	info, err := s.dataStream(ctx, req.StreamName)
	if err != nil {
		return nil, err
	}
	recs, shardOf, err := kinesisRecords(req.Records, info.Shards, s.opts.Clock.Now())
	if err != nil {
		return nil, err
	}
	total := 0
	for _, r := range recs {
		total += len(r.Data) + len(r.PartitionKey)
	}
	if total > 5<<20 {
		return nil, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "Records size exceeds 5 MiB limit")
	}
	// One stored batch per shard; the answer keeps the request's order.
	// A shard's batch that fails fails only its records, as the service
	// answers: once another shard's are stored, a failed call would make
	// the client send those again. Only a call that stored nothing fails
	// as a whole.
	type result struct {
		ShardId, SequenceNumber string `json:",omitempty"`
		ErrorCode, ErrorMessage string `json:",omitempty"`
	}
	results := make([]result, len(recs))
	byShard := map[int][]int{}
	for i, sh := range shardOf {
		byShard[sh] = append(byShard[sh], i)
	}
	failed := 0
	var firstErr error
	for sh := range info.Shards {
		idx := byShard[sh]
		if len(idx) == 0 {
			continue
		}
		batch := make([]streamlog.Record, len(idx))
		for j, i := range idx {
			batch[j] = recs[i]
		}
		// A batch beyond the NATS server's max_payload is stored in
		// several messages: one that fails after others were stored
		// fails only the records it did not store.
		seqs, err := s.append(ctx, "kinesis", req.StreamName, sh, batch)
		for j, i := range idx {
			if j < len(seqs) {
				results[i] = result{ShardId: shardID(sh), SequenceNumber: seqs[j].String()}
			} else {
				results[i] = result{ErrorCode: "InternalFailure", ErrorMessage: failureMessage(err)}
			}
		}
		s.metrics.stored("kinesis", batch[:len(seqs)])
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			failed += len(idx) - len(seqs)
		}
	}
	if failed == len(recs) {
		return nil, putError(firstErr)
	}
	return map[string]any{"FailedRecordCount": failed, "Records": results, "EncryptionType": "NONE"}, nil
}

// failureMessage is a record's ErrorMessage in a PutRecords answer: the
// service's "Internal service failure." and what happened.
func failureMessage(err error) string {
	switch {
	case errors.Is(err, streamlog.ErrStorageFull):
		return "Internal service failure: the server's storage is full, the record was not stored. Retry it later."
	case errors.Is(err, streamlog.ErrUnavailable):
		return "Internal service failure: the server's NATS cluster did not answer in time, the record was not stored. Retry it."
	}
	return "Internal service failure: the record was not stored. Retry it."
}

// An iterator is an opaque token: where to read next in which shard, and
// until when. The token carries an HMAC-SHA256 of its contents under the
// server's key, so a client can neither forge one nor change its stream,
// shard, position or expiry.
type iterator struct {
	Stream  string `json:"s"`
	Shard   int    `json:"h"`
	Msg     uint64 `json:"m"`
	Index   uint32 `json:"i"`
	Expires int64  `json:"e"`
}

// token is base64url(JSON) "." base64url(HMAC of the JSON).
func (s *API) token(it iterator) string {
	b, _ := json.Marshal(it)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(s.mac(b))
}

func (s *API) mac(payload []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write(payload)
	return h.Sum(nil)
}

func (s *API) parseIterator(token string) (iterator, error) {
	var it iterator
	invalid := awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "Invalid ShardIterator.")
	payload, sig, ok := strings.Cut(token, ".")
	if !ok {
		return it, invalid
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return it, invalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, s.mac(b)) {
		return it, invalid
	}
	if json.Unmarshal(b, &it) != nil || it.Stream == "" {
		return it, invalid
	}
	if s.opts.Clock.Now().UnixMilli() > it.Expires {
		return it, awsjson.Errorf(http.StatusBadRequest, "ExpiredIteratorException", "Iterator expired. The iterator was created at a time more than 5 minutes ago.")
	}
	return it, nil
}

// The iterator key lives in the log, so every node sharing it (and this
// one after a restart) signs and checks iterators alike.
const (
	serverBucket   = "riffle_server"
	iteratorKeyKey = "iterator-key"
)

// iteratorKey reads the key that signs iterators, creating a random one
// if there is none; when nodes race to create it, all take the winner's.
func iteratorKey(ctx context.Context, l *streamlog.Log) ([]byte, error) {
	kv, err := l.Bucket(ctx, serverBucket)
	if err != nil {
		return nil, fmt.Errorf("ingest: the iterator key: %w", err)
	}
	key, err := kv.Get(ctx, iteratorKeyKey)
	if errors.Is(err, streamlog.ErrNotFound) {
		key = make([]byte, 32)
		rand.Read(key)
		_, err = kv.Create(ctx, iteratorKeyKey, key)
		if errors.Is(err, streamlog.ErrExists) {
			key, err = kv.Get(ctx, iteratorKeyKey)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: the iterator key: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("ingest: the iterator key in bucket %s is %d bytes, not 32", serverBucket, len(key))
	}
	return key, nil
}

func (s *API) getShardIterator(ctx context.Context, body []byte) (any, error) {
	var req struct {
		StreamName             string
		ShardId                string
		ShardIteratorType      string
		StartingSequenceNumber string
		Timestamp              *float64
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	info, err := s.dataStream(ctx, req.StreamName)
	if err != nil {
		return nil, err
	}
	shard, ok := parseShardID(req.ShardId, info.Shards)
	if !ok {
		return nil, awsjson.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "Shard %s in stream %s under account %s does not exist", req.ShardId, req.StreamName, s.opts.Account)
	}
	it := iterator{Stream: req.StreamName, Shard: shard, Expires: s.opts.Clock.Now().Add(iteratorLifetime).UnixMilli()}
	switch req.ShardIteratorType {
	case "TRIM_HORIZON":
	case "LATEST":
		last, err := s.log.Last(ctx, req.StreamName)
		if err != nil {
			return nil, err
		}
		it.Msg = last + 1
	case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
		seq, err := streamlog.ParseSeq(req.StartingSequenceNumber)
		if err != nil {
			return nil, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s under account %s is invalid.", req.StartingSequenceNumber, req.ShardId, req.StreamName, s.opts.Account)
		}
		it.Msg, it.Index = seq.Msg, seq.Index
		if req.ShardIteratorType == "AFTER_SEQUENCE_NUMBER" {
			it.Index++
		}
	case "AT_TIMESTAMP":
		if req.Timestamp == nil {
			return nil, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP.")
		}
		seq, err := s.log.SeqAt(ctx, req.StreamName, shard, time.UnixMilli(int64(*req.Timestamp*1000)))
		if err != nil {
			return nil, err
		}
		it.Msg, it.Index = seq.Msg, seq.Index
	default:
		return nil, awsjson.Validation("shardIteratorType", req.ShardIteratorType, "Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]")
	}
	return map[string]string{"ShardIterator": s.token(it)}, nil
}

func (s *API) getRecords(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ShardIterator string
		Limit         int
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if req.Limit == 0 {
		req.Limit = maxGetRecords
	}
	if req.Limit < 1 || req.Limit > maxGetRecords {
		return nil, awsjson.Validation("limit", strconv.Itoa(req.Limit), "Member must have value between 1 and 10000")
	}
	it, err := s.parseIterator(req.ShardIterator)
	if err != nil {
		return nil, err
	}
	recs, next, err := s.log.ReadBytes(ctx, it.Stream, it.Shard, streamlog.Seq{Msg: it.Msg, Index: it.Index}, req.Limit, maxGetBytes)
	if errors.Is(err, streamlog.ErrNotFound) {
		return nil, s.kinesisNotFound(it.Stream)
	}
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(recs))
	for i, r := range recs {
		out[i] = map[string]any{
			"Data":                        base64.StdEncoding.EncodeToString(r.Data),
			"PartitionKey":                r.PartitionKey,
			"SequenceNumber":              r.Seq.String(),
			"ApproximateArrivalTimestamp": float64(r.Arrival.UnixMilli()) / 1000,
		}
	}
	it.Msg, it.Index = next.Msg, next.Index
	it.Expires = s.opts.Clock.Now().Add(iteratorLifetime).UnixMilli()
	return map[string]any{"Records": out, "NextShardIterator": s.token(it), "MillisBehindLatest": 0}, nil
}
