package ingest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/streamlog"
)

// TestAgainstAnExternalNATSServer runs the API suites with the log on a
// separate nats-server process, as `riffle serve --nats URL` does.
// scripts/test installs nats-server (go install); without it the test fails
// and says so.
func TestAgainstAnExternalNATSServer(t *testing.T) {
	bin := natsServerBinary(t)
	port := freePort(t)
	cmd := exec.Command(bin, "-js", "-sd", t.TempDir(), "-a", "127.0.0.1", "-p", fmt.Sprint(port))
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Wait for the server to say it is ready.
	buf := make([]byte, 4096)
	var log strings.Builder
	for !strings.Contains(log.String(), "Server is ready") {
		n, err := out.Read(buf)
		if err != nil {
			t.Fatalf("nats-server stopped before it was ready: %v\n%s", err, log.String())
		}
		log.Write(buf[:n])
	}
	go func() { // keep draining its log
		for {
			if _, err := out.Read(buf); err != nil {
				return
			}
		}
	}()
	cfg := streamlog.Config{URL: fmt.Sprintf("nats://127.0.0.1:%d", port)}
	srv, l := newServerOn(t, cfg)
	firehoseSuite(t, srv, l)
	kinesisSuite(t, srv)
}

func natsServerBinary(t *testing.T) string {
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
	t.Fatal("nats-server is not installed: run scripts/test, which installs it with go install")
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
