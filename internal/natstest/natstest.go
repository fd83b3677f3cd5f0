// Package natstest runs nats-server processes for a test, as `riffle serve
// --nats URL` would use them: one server, or a cluster of several
// (scripts/setup installs the binary; without it the test fails and says
// so).
package natstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Start runs nats-server with JetStream (its data in the test's temporary
// directory, extra flags appended) until the test ends, and returns its URL.
func Start(t testing.TB, flags ...string) string {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		cmd, err := run(t, append([]string{"-js", "-sd", t.TempDir(), "-a", "127.0.0.1", "-p", fmt.Sprint(port)}, flags...))
		if portTaken(err) && attempt < attempts {
			continue // another process took the port meanwhile
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return fmt.Sprintf("nats://127.0.0.1:%d", port)
	}
}

// attempts bounds the starts tried when a port picked free is taken by
// another process (tests run in parallel) before the server binds it.
const attempts = 5

// portTaken tells a start that failed because a port was taken.
func portTaken(err error) bool {
	return err != nil && strings.Contains(err.Error(), "address already in use")
}

// freePort is a TCP port free on loopback now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// run starts nats-server with args and returns once it says it is ready;
// its log is drained until it exits. The caller stops it. A server that
// exits before it is ready is an error holding its log.
func run(t testing.TB, args []string) (*exec.Cmd, error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	out, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// Wait for the server to say it is ready, then keep draining its log.
	buf := make([]byte, 4096)
	var log strings.Builder
	for !strings.Contains(log.String(), "Server is ready") {
		n, err := out.Read(buf)
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("nats-server stopped before it was ready: %v\n%s", err, log.String())
		}
		log.Write(buf[:n])
	}
	go func() { // ends when the process exits and the pipe closes
		for {
			if _, err := out.Read(buf); err != nil {
				return
			}
		}
	}()
	return cmd, nil
}

func binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "nats-server")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("nats-server is not installed: run scripts/setup, which installs it with go install")
	return ""
}
