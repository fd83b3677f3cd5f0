package streamlog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrInUse is a data directory another process has open.
var ErrInUse = errors.New("data directory in use")

// LockFile is the file in a data directory that its owner holds locked.
const LockFile = "riffle.lock"

// dirLock holds a data directory for one process: a second server on the
// same files would delete what the first one writes.
type dirLock struct{ f *os.File }

// lockDir takes the directory's lock (creating the directory), or fails
// with ErrInUse naming the process that holds it.
func lockDir(dir string) (*dirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("streamlog: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("streamlog: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		data, _ := os.ReadFile(path)
		f.Close()
		owner := "another process"
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(data))); perr == nil {
			owner = fmt.Sprintf("pid %d", pid)
		}
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is in use by riffle serve (%s)", ErrInUse, dir, owner)
		}
		return nil, fmt.Errorf("streamlog: lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

// release lets the directory go (the file stays: removing it could let
// a third process lock a file the second still holds).
func (d *dirLock) release() {
	if d != nil {
		d.f.Close()
	}
}
