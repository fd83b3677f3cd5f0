package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memory samples a process's resident memory and open descriptors from
// /proc (Linux; elsewhere the figures stay unknown).
type memory struct {
	pid int

	mu     sync.Mutex
	hwm    int64 // VmHWM, kB: the kernel's own peak of resident memory
	rss    int64 // VmRSS at the last sample, kB
	maxRSS int64 // the largest VmRSS sampled, kB
	maxFDs int
}

func (m *memory) sample(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		m.read()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// read takes one sample.
func (m *memory) read() {
	status, err := readStatus(m.pid)
	fds, fdErr := os.ReadDir(fmt.Sprintf("/proc/%d/fd", m.pid))
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil {
		m.hwm = max(m.hwm, status["VmHWM"])
		m.rss = status["VmRSS"]
		m.maxRSS = max(m.maxRSS, m.rss)
	}
	if fdErr == nil {
		m.maxFDs = max(m.maxFDs, len(fds))
	}
}

// readStatus reads the kB figures of /proc/PID/status.
func readStatus(pid int) (map[string]int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		value, isKB := strings.CutSuffix(strings.TrimSpace(value), " kB")
		if !ok || !isKB {
			continue
		}
		if n, err := strconv.ParseInt(value, 10, 64); err == nil {
			out[name] = n
		}
	}
	return out, sc.Err()
}
