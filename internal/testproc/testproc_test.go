package testproc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAMissingBinaryTellsToRunSetup: neither on PATH nor in GOPATH/bin,
// the error names the places looked at and says what installs it.
func TestAMissingBinaryTellsToRunSetup(t *testing.T) {
	gopath := t.TempDir()
	t.Setenv("PATH", os.Getenv("PATH")+string(os.PathListSeparator)+t.TempDir())
	t.Setenv("GOPATH", gopath)
	_, err := Binary("riffle-no-such-server")
	if err == nil || !strings.Contains(err.Error(), "run scripts/setup") || !strings.Contains(err.Error(), filepath.Join(gopath, "bin", "riffle-no-such-server")) {
		t.Fatalf("Binary = %v, want an error naming GOPATH/bin and telling to run scripts/setup", err)
	}
}

// TestABinaryInGOPATHBinIsFound: scripts/setup installs into GOPATH/bin,
// which need not be on PATH.
func TestABinaryInGOPATHBinIsFound(t *testing.T) {
	gopath := t.TempDir()
	t.Setenv("GOPATH", gopath)
	want := filepath.Join(gopath, "bin", "riffle-test-server")
	if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(want, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Binary("riffle-test-server")
	if err != nil || got != want {
		t.Fatalf("Binary = %q, %v; want %q", got, err, want)
	}
}

// TestAServerThatExitsIsNotWaitedFor: WaitReady ends when the process
// exits, and the error holds what it wrote.
func TestAServerThatExitsIsNotWaitedFor(t *testing.T) {
	p, err := Start(t, exec.Command("sh", "-c", "echo address already in use; exit 3"))
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitReady(time.Minute, func() error { return errors.New("no answer") })
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("WaitReady = %v, want the exit and the output", err)
	}
}

// TestAServerIsReadyOnceItAnswers: WaitReady returns once the check
// passes, and Stop ends the process.
func TestAServerIsReadyOnceItAnswers(t *testing.T) {
	p, err := Start(t, exec.Command("sh", "-c", "echo up; exec sleep 60"))
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitReady(time.Minute, func() error {
		if !strings.Contains(p.Output(), "up") {
			return errors.New("not up yet")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Stop()
	select {
	case <-p.exited:
	default:
		t.Fatal("the process runs on after Stop")
	}
}

// TestRetryTriesAgainAndReportsEveryAttempt: a start that fails twice and
// then works is retried; one that always fails fails the test with each
// attempt's error.
func TestRetryTriesAgainAndReportsEveryAttempt(t *testing.T) {
	calls := 0
	got := Retry(t, 3, "server", func() (int, error) {
		calls++
		if calls < 3 {
			return 0, fmt.Errorf("attempt %d: port taken", calls)
		}
		return 42, nil
	})
	if got != 42 || calls != 3 {
		t.Fatalf("Retry = %d after %d calls, want 42 after 3", got, calls)
	}
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != r {
				panic(p)
			}
		}()
		Retry(r, 2, "server", func() (int, error) { return 0, errors.New("port taken") })
		t.Fatal("Retry returned though every attempt failed")
	}()
	if !strings.Contains(r.failure, "server did not start") || strings.Count(r.failure, "port taken") != 2 {
		t.Fatalf("failure %q, want both attempts' errors", r.failure)
	}
}

// recorder is a testing.TB that keeps the failure instead of failing.
type recorder struct {
	testing.TB
	failure string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failure = fmt.Sprintf(format, args...)
	panic(r) // ends Retry, as t.Fatalf would
}
