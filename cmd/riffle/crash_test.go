package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/riffle-sql/riffle/internal/leakcheck"
	"github.com/riffle-sql/riffle/internal/logtest"
)

// The crash test runs the real server as a separate process: the test
// binary itself, re-executed with RIFFLE_TEST_MAIN set, runs riffle's main.
func TestMain(m *testing.M) {
	if args := os.Getenv("RIFFLE_TEST_LOADGEN"); args != "" {
		if err := loadGenerator(args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if args := os.Getenv("RIFFLE_TEST_MAIN"); args != "" {
		os.Args = append([]string{"riffle"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	os.Exit(leakcheck.Run(m))
}

type serverProcess struct {
	cmd    *exec.Cmd
	url    string
	dir    string          // its data directory
	stderr *logtest.Buffer // what it logged
	stdout *bufio.Reader   // what it printed after its first line
}

// startServer runs `riffle serve` on a data directory and waits for the
// line that gives its address.
func startServer(t testing.TB, dir string, extra ...string) *serverProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "RIFFLE_TEST_MAIN=serve --data "+dir+" --listen 127.0.0.1:0 "+strings.Join(extra, " "))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &logtest.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdout := bufio.NewReader(out)
	line, err := stdout.ReadString('\n')
	if err != nil || !strings.Contains(line, "http://") {
		cmd.Process.Kill()
		t.Fatalf("server did not start: %q %v", line, err)
	}
	url := strings.Fields(line[strings.Index(line, "http://"):])[0]
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &serverProcess{cmd: cmd, url: url, dir: dir, stderr: stderr, stdout: stdout}
}

func call(url, target string, body any) (map[string]any, error) {
	return callWith(http.DefaultClient, url, target, body)
}

// callWith is call through a client of the caller's.
func callWith(client *http.Client, url, target string, body any) (map[string]any, error) {
	payload, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(payload))
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("status %d: %v", resp.StatusCode, out)
	}
	return out, nil
}

// startApplication starts an application, its input from NOW.
func startApplication(t *testing.T, url, name string) {
	t.Helper()
	if _, err := call(url, "KinesisAnalytics_20150814.StartApplication", map[string]any{
		"ApplicationName": name, "InputConfigurations": []any{map[string]any{"Id": "1.1", "InputStartingPositionConfiguration": map[string]any{"InputStartingPosition": "NOW"}}},
	}); err != nil {
		t.Fatal(err)
	}
}

// TestAcknowledgedRecordsSurviveAKill sends batches from several clients,
// kills the server (SIGKILL) while they are sending, restarts it on the
// same data directory, and reads everything back: every record of an
// acknowledged batch is there exactly once, in each client's order.
func TestAcknowledgedRecordsSurviveAKill(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	if _, err := call(srv.url, "Kinesis_20131202.CreateStream", map[string]any{"StreamName": "s", "ShardCount": 2}); err != nil {
		t.Fatal(err)
	}
	const clients = 4
	var mu sync.Mutex
	acked := map[string]bool{} // record payloads whose batch was acknowledged
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	for c := range clients {
		wg.Go(func() {
			for b := 0; ctx.Err() == nil; b++ {
				var recs []map[string]string
				var payloads []string
				for i := range 50 {
					p := fmt.Sprintf("c%d-b%05d-r%02d", c, b, i)
					payloads = append(payloads, p)
					recs = append(recs, map[string]string{"Data": base64.StdEncoding.EncodeToString([]byte(p)), "PartitionKey": fmt.Sprintf("client-%d", c)})
				}
				if _, err := call(srv.url, "Kinesis_20131202.PutRecords", map[string]any{"StreamName": "s", "Records": recs}); err != nil {
					return // the server is gone
				}
				mu.Lock()
				for _, p := range payloads {
					acked[p] = true
				}
				if len(acked) >= 20*50 {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		})
	}
	// Kill once some batches are acknowledged, while the clients keep sending.
	<-enough
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	cancel()
	wg.Wait()

	srv = startServer(t, dir)
	seen := map[string]int{}
	for shard := range 2 {
		it, err := call(srv.url, "Kinesis_20131202.GetShardIterator", map[string]any{"StreamName": "s", "ShardId": fmt.Sprintf("shardId-%012d", shard), "ShardIteratorType": "TRIM_HORIZON"})
		if err != nil {
			t.Fatal(err)
		}
		iter := it["ShardIterator"]
		last := map[string]string{} // per client, the last payload read
		for {
			out, err := call(srv.url, "Kinesis_20131202.GetRecords", map[string]any{"ShardIterator": iter, "Limit": 1000})
			if err != nil {
				t.Fatal(err)
			}
			recs := out["Records"].([]any)
			if len(recs) == 0 {
				break
			}
			for _, r := range recs {
				data, _ := base64.StdEncoding.DecodeString(r.(map[string]any)["Data"].(string))
				p := string(data)
				seen[p]++
				client := p[:2]
				if p <= last[client] {
					t.Fatalf("shard %d: %s after %s: out of order", shard, p, last[client])
				}
				last[client] = p
			}
			iter = out["NextShardIterator"]
		}
	}
	for p := range acked {
		if seen[p] != 1 {
			t.Fatalf("acknowledged record %s read %d times", p, seen[p])
		}
	}
	for p, n := range seen {
		if n != 1 {
			t.Fatalf("record %s read %d times", p, n)
		}
	}
	t.Logf("%d records acknowledged before the kill, %d stored", len(acked), len(seen))
}
