package streamlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Objects is a bucket of values of any size (JetStream's object store,
// which splits them in chunks): application checkpoints hold whole forests,
// more than one message may carry on a NATS server with the default 1 MiB
// max_payload. A value is replaced whole: readers see the old one until the
// new one is complete.
type Objects struct {
	name string
	os   *binding[jetstream.ObjectStore]
}

// handle is the bucket on the log's current connection.
func (o *Objects) handle(ctx context.Context) (jetstream.ObjectStore, error) {
	os, err := o.os.get(ctx)
	if err != nil {
		return nil, fmt.Errorf("streamlog: object bucket %s: %w", o.name, err)
	}
	return os, nil
}

// ObjectBucket opens (creating if needed) an object bucket; an existing
// one is only looked up, as Bucket does.
func (l *Log) ObjectBucket(ctx context.Context, name string) (*Objects, error) {
	os, err := l.jet().ObjectStore(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		os, err = l.jet().CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: name, Storage: jetstream.FileStorage, Replicas: l.replicas})
		if errors.Is(err, jetstream.ErrBucketExists) {
			os, err = l.jet().ObjectStore(ctx, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("streamlog: object bucket %s: %w", name, err)
	}
	if l.fromLeader(ctx, "OBJ_"+name) {
		if again, err := l.jet().ObjectStore(ctx, name); err == nil { // bound anew: reads from the leader
			os = again
		}
	}
	return &Objects{name: name, os: bind(l, os, func(ctx context.Context, js jetstream.JetStream) (jetstream.ObjectStore, error) {
		return js.ObjectStore(ctx, name)
	})}, nil
}

// Put stores a value.
func (o *Objects) Put(ctx context.Context, key string, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	os, err := o.handle(ctx)
	if err != nil {
		return err
	}
	if _, err := os.PutBytes(ctx, key, value); err != nil {
		return fmt.Errorf("streamlog: put %s: %w", key, err)
	}
	return nil
}

// Get reads a value; ErrNotFound when there is none.
func (o *Objects) Get(ctx context.Context, key string) ([]byte, error) {
	if checkKey(key) != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, shown(key))
	}
	os, err := o.handle(ctx)
	if err != nil {
		return nil, err
	}
	data, err := os.GetBytes(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("streamlog: get %s: %w", key, err)
	}
	return data, nil
}

// Delete removes a value (no error if it is absent).
func (o *Objects) Delete(ctx context.Context, key string) error {
	if checkKey(key) != nil {
		return nil // no such key can be stored
	}
	os, err := o.handle(ctx)
	if err != nil {
		return err
	}
	if err := os.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("streamlog: delete %s: %w", key, err)
	}
	return nil
}
