// Package testproc runs the servers tests start as child processes
// (nats-server, mailpit, s3rver, kinesalite, aws-lambda-rie): it finds
// their binaries where scripts/setup installs them, picks loopback ports,
// retries a start whose port another process took first, waits until the
// server answers and stops it when the test ends.
package testproc

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/logtest"
)

// Binary finds an executable: on PATH, else in $(go env GOPATH)/bin, where
// scripts/setup installs the servers tests run (go install, npm --prefix).
// A missing one is an error that says to run scripts/setup.
func Binary(name string) (string, error) {
	if path, err := exec.LookPath(name); err == nil {
		return path, nil
	}
	gopath := os.Getenv("GOPATH")
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		gopath = strings.TrimSpace(string(out))
	}
	if gopath == "" {
		if home, err := os.UserHomeDir(); err == nil {
			gopath = filepath.Join(home, "go")
		}
	}
	var tried []string
	for _, dir := range filepath.SplitList(gopath) {
		path := filepath.Join(dir, "bin", name)
		if info, err := os.Stat(path); err == nil && !info.IsDir() {
			return path, nil
		}
		tried = append(tried, path)
	}
	return "", fmt.Errorf("%s is not installed (not on PATH, nor at %s): run scripts/setup", name, strings.Join(tried, ", "))
}

// FreePort is a TCP port free on loopback now. Another process may take it
// before the server binds it: start servers with Retry.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Retry calls start up to attempts times until it succeeds (a port picked
// free may have been taken meanwhile: each call picks new ones) and fails
// the test with every attempt's error if none did.
func Retry[T any](t testing.TB, attempts int, what string, start func() (T, error)) T {
	t.Helper()
	var problems []string
	for range attempts {
		v, err := start()
		if err == nil {
			return v
		}
		problems = append(problems, err.Error())
	}
	t.Fatalf("%s did not start:\n%s", what, strings.Join(problems, "\n"))
	var zero T
	return zero
}

// Process is a started server, owned until it exits.
type Process struct {
	name    string
	cmd     *exec.Cmd
	out     *logtest.Buffer
	exited  chan struct{}
	waitErr error // set before exited closes
	once    sync.Once
}

// StopGrace is how long Stop waits after an interrupt before it kills.
const StopGrace = 5 * time.Second

// Start starts cmd, collecting what it writes (unless the caller set its
// Stdout and Stderr), and stops it when the test ends.
func Start(t testing.TB, cmd *exec.Cmd) (*Process, error) {
	t.Helper()
	p := &Process{name: filepath.Base(cmd.Path), cmd: cmd, out: &logtest.Buffer{}, exited: make(chan struct{})}
	if cmd.Stdout == nil && cmd.Stderr == nil {
		cmd.Stdout, cmd.Stderr = p.out, p.out
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	go func() { // owns the process until it exits
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.Stop)
	return p, nil
}

// Output is what the process wrote so far.
func (p *Process) Output() string { return p.out.String() }

// Stop interrupts the process and waits for it to exit, killing it after
// StopGrace. Stopping again does nothing.
func (p *Process) Stop() {
	p.once.Do(func() {
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(StopGrace):
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// Kill kills the process (SIGKILL, as a crash would) and waits for it to
// exit. Stopping it afterwards does nothing.
func (p *Process) Kill() {
	p.once.Do(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
}

// PollEvery is how often WaitReady asks.
const PollEvery = 20 * time.Millisecond

// WaitReady asks ready until it answers nil. If the process exits first,
// or timeout passes (then the process is stopped), the error says so with
// ready's last answer and what the process wrote.
func (p *Process) WaitReady(timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(PollEvery)
	defer tick.Stop()
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited: %v\n%s", p.name, p.waitErr, p.Output())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			p.Stop()
			return fmt.Errorf("%s not ready after %v: %w\n%s", p.name, timeout, err, p.Output())
		}
	}
}

// HTTPReady is a ready check for WaitReady: a GET of url answered with
// status want (any status when want is 0).
func HTTPReady(url string, want int) func() error {
	client := &http.Client{Timeout: 2 * time.Second}
	return func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if want != 0 && resp.StatusCode != want {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
}
