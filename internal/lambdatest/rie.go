package lambdatest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/testproc"
)

// Emulated is the rowfn function (internal/lambdatest/rowfn) served by the
// Lambda runtime interface emulator (aws-lambda-rie, installed by
// scripts/setup): the Lambda Invoke API at URL, for the function named
// "function" (the only name the emulator serves).
type Emulated struct {
	URL  string
	rows string
}

// Line is one record as the function saw it.
type Line struct {
	RecordID  string `json:"recordId"`
	Data      string `json:"data"`
	RetryHint int    `json:"retryHint"`
	Result    string `json:"result"`
}

// StartEmulated builds rowfn and serves it until the test ends. failFirst
// invocations fail as a whole; every refuseEvery-th record (0: none) is
// answered DeliveryFailed.
func StartEmulated(t testing.TB, failFirst, refuseEvery int) *Emulated {
	t.Helper()
	rie, err := testproc.Binary("aws-lambda-rie")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	handler := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-o", handler, "github.com/riffle-sql/riffle/internal/lambdatest/rowfn")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building rowfn: %v\n%s", err, out)
	}
	rows := filepath.Join(dir, "rows.jsonl")
	return testproc.Retry(t, 3, "aws-lambda-rie", func() (*Emulated, error) {
		port, err := testproc.FreePort()
		if err != nil {
			return nil, err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, handler)
		cmd.Env = append(os.Environ(), "ROWS_FILE="+rows, fmt.Sprintf("FAIL_FIRST=%d", failFirst), fmt.Sprintf("REFUSE_EVERY=%d", refuseEvery))
		p, err := testproc.Start(t, cmd)
		if err != nil {
			return nil, err
		}
		e := &Emulated{URL: "http://" + addr, rows: rows}
		// Up once it answers HTTP (an empty POST is an invocation: ask for
		// a path it does not serve instead).
		if err := p.WaitReady(30*time.Second, testproc.HTTPReady(e.URL+"/", 0)); err != nil {
			return nil, err
		}
		return e, nil
	})
}

// Lines are the records the function saw, in order, refused ones and
// repeats included.
func (e *Emulated) Lines(t testing.TB) []Line {
	t.Helper()
	f, err := os.Open(e.rows)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []Line
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("rowfn wrote %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}
