package streamlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// JetStream's error codes for a store that cannot take more.
const (
	jsInsufficientResources    = 10023 // the server's store limit is reached
	jsMemoryResourcesExceeded  = 10028
	jsStorageResourcesExceeded = 10047 // no room to reserve for a stream or an account
)

// diskSize is the size of the filesystem holding dir (0 if unknown,
// which leaves JetStream to its default).
func diskSize(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0
	}
	return int64(st.Blocks) * st.Bsize
}

// freeSpace is what an unprivileged writer can still put on dir's
// filesystem (-1 if unknown).
func freeSpace(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * st.Bsize
}

// roomFor refuses an append of n bytes that would leave less than MinFree
// on the data directory's disk, saying so in the log when appends start
// and stop being refused. With an external server it is the server's to
// refuse.
func (l *Log) roomFor(n int) error {
	if l.dir == "" || l.minFree < 0 {
		return nil
	}
	free := freeSpace(l.dir)
	if free < 0 {
		return nil
	}
	if free < l.minFree+int64(n) {
		if l.full.CompareAndSwap(false, true) {
			l.logger.Error("the data directory's disk is full: appends are refused until space is freed",
				"dir", l.dir, "free_bytes", free, "kept_free_bytes", l.minFree)
		}
		return fmt.Errorf("%w: %s has %d bytes free and keeps %d free", ErrStorageFull, l.dir, free, l.minFree)
	}
	if l.full.CompareAndSwap(true, false) {
		l.logger.Info("the data directory's disk has room again: appends are accepted", "dir", l.dir, "free_bytes", free)
	}
	return nil
}

// outOfSpace tells whether a failed publish met a full store: JetStream's
// resource errors, a disk error it passed on, or (JetStream does not
// answer a write that found the disk full) a timeout on a disk with less
// than MinFree left.
func (l *Log) outOfSpace(err error) bool {
	var api *jetstream.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode {
		case jsInsufficientResources, jsMemoryResourcesExceeded, jsStorageResourcesExceeded:
			return true
		}
	}
	if strings.Contains(err.Error(), "no space left") {
		return true
	}
	if l.dir != "" && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout)) {
		free := freeSpace(l.dir)
		return free >= 0 && free < max(l.minFree, 1<<20)
	}
	return false
}
