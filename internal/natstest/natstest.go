// Package natstest runs nats-server processes for a test, as `riffle serve
// --nats URL` would use them: one server, or a cluster of several
// (scripts/setup installs the binary; without it the test fails and says
// so).
package natstest

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/testproc"
)

// Start runs nats-server with JetStream (its data in the test's temporary
// directory, extra flags appended) until the test ends, and returns its URL.
func Start(t testing.TB, flags ...string) string {
	t.Helper()
	bin := binary(t)
	return testproc.Retry(t, attempts, "nats-server", func() (string, error) {
		port, err := testproc.FreePort()
		if err != nil {
			return "", err
		}
		if _, err := run(t, bin, append([]string{"-js", "-sd", t.TempDir(), "-a", "127.0.0.1", "-p", fmt.Sprint(port)}, flags...)); err != nil {
			return "", err
		}
		return fmt.Sprintf("nats://127.0.0.1:%d", port), nil
	})
}

// attempts bounds the starts tried when a port picked free is taken by
// another process (tests run in parallel) before the server binds it.
const attempts = 5

// readyTimeout bounds how long a server may take to say it is ready.
const readyTimeout = 30 * time.Second

// run starts nats-server with args and returns once it says it is ready.
// It is killed (SIGKILL, as a crash would) when the test ends.
func run(t testing.TB, bin string, args []string) (*testproc.Process, error) {
	t.Helper()
	p, err := testproc.Start(t, exec.Command(bin, args...))
	if err != nil {
		return nil, err
	}
	t.Cleanup(p.Kill) // runs before Start's gentler stop, which then does nothing
	err = p.WaitReady(readyTimeout, func() error {
		if !strings.Contains(p.Output(), "Server is ready") {
			return errors.New(`no "Server is ready" in its log yet`)
		}
		return nil
	})
	if err != nil {
		p.Kill()
		return nil, err
	}
	return p, nil
}

func binary(t testing.TB) string {
	t.Helper()
	bin, err := testproc.Binary("nats-server")
	if err != nil {
		t.Fatal(err)
	}
	return bin
}
