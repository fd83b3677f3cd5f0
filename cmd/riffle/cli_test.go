package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/server/servertest"
)

// firstLine is the first line of a command's error, as riffle prints it.
func firstLine(err error) string {
	if err == nil {
		return ""
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// closedAddress is a loopback address nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// TestCommandsWithoutAServerSaySo: each command that calls riffle serve
// fails, when nothing listens at --server, with a line naming the address
// and how to start a server, not the dial's error.
func TestCommandsWithoutAServerSaySo(t *testing.T) {
	server := closedAddress(t)
	want := "cannot reach riffle serve at " + server + ": is it running? start one with: riffle serve"
	for _, args := range [][]string{
		{"apps", "list", "--server", server},
		{"apps", "describe", "lab", "--server", server},
		{"apps", "delete", "lab", "--server", server},
		{"tail", "lab", "DESTINATION_SQL_STREAM", "--server", server},
		{"cluster", "status", "--server", server},
		{"gen", "--template", "{}", "--stream", "lab", "--endpoint-url", server},
	} {
		_, _, err := runRiffle(t, args...)
		if got := firstLine(err); got != want {
			t.Errorf("riffle %s: error %q, want %q", strings.Join(args, " "), got, want)
		}
	}
}

// TestUnknownSubcommandFails: a mistyped subcommand of a group is an error
// (exit 1) with a suggestion, at the root as below it; the group alone
// prints its help.
func TestUnknownSubcommandFails(t *testing.T) {
	for args, want := range map[string]string{
		"apps lst":      `unknown command "lst" for "riffle apps"; did you mean list? (riffle apps --help lists them)`,
		"cluster stats": `unknown command "stats" for "riffle cluster"; did you mean status? (riffle cluster --help lists them)`,
		"notify x":      `unknown command "x" for "riffle notify" (riffle notify --help lists them)`,
		"aps":           `unknown command "aps" for "riffle"`,
	} {
		_, _, err := runRiffle(t, strings.Fields(args)...)
		if got := firstLine(err); got != want {
			t.Errorf("riffle %s: error %q, want %q", args, got, want)
		}
	}
	out, _, err := runRiffle(t, "apps")
	if err != nil || !strings.Contains(out, "Available Commands:") {
		t.Errorf("riffle apps: %v, printed %q", err, out)
	}
}

// TestTailSaysWhatIsMissing: riffle tail of an unknown application, of one
// not running and of an unknown stream fails with a line saying which, the
// last with the application's streams.
func TestTailSaysWhatIsMissing(t *testing.T) {
	srv := startServer(t, t.TempDir())
	if _, err := call(srv.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "lab"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, schema := filepath.Join(dir, "app.sql"), filepath.Join(dir, "schema.json")
	os.WriteFile(code, []byte(`CREATE STREAM "DESTINATION_SQL_STREAM" (action VARCHAR(32));
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM "browseraction" FROM "SOURCE_SQL_STREAM_001";`), 0o644)
	os.WriteFile(schema, []byte(`{"RecordFormat":{"RecordFormatType":"JSON","MappingParameters":{"JSONMappingParameters":{"RecordRowPath":"$"}}},
"RecordColumns":[{"Name":"browseraction","SqlType":"VARCHAR(32)","Mapping":"$.browseraction"}]}`), 0o644)
	if _, _, err := runRiffle(t, "apps", "create", "lab", "--code", code, "--schema", schema, "--firehose", "lab", "--server", srv.url); err != nil {
		t.Fatal(err)
	}
	tail := func(app, stream string) string {
		t.Helper()
		_, _, err := runRiffle(t, "tail", app, stream, "--follow=false", "--server", srv.url)
		return firstLine(err)
	}
	if got, want := tail("nope", "DESTINATION_SQL_STREAM"), "no application nope at "+srv.url+" (riffle apps list names them)"; got != want {
		t.Errorf("tail of an unknown application: %q, want %q", got, want)
	}
	if got, want := tail("lab", "DESTINATION_SQL_STREAM"), "application lab is READY, not running: start it with riffle apps start lab"; got != want {
		t.Errorf("tail of an application not running: %q, want %q", got, want)
	}
	if _, _, err := runRiffle(t, "apps", "start", "lab", "--server", srv.url); err != nil {
		t.Fatal(err)
	}
	if got, want := tail("lab", "destination"), "application lab has no stream destination; its streams: SOURCE_SQL_STREAM_001, DESTINATION_SQL_STREAM, error_stream"; got != want {
		t.Errorf("tail of an unknown stream: %q, want %q", got, want)
	}
	if got := tail("lab", "DESTINATION_SQL_STREAM"); got != "" {
		t.Errorf("tail of the running application's stream: %q", got)
	}
}

// TestVersion: riffle --version prints the version, the commit and the Go
// version on one line, and exits 0.
func TestVersion(t *testing.T) {
	out, _, err := runRiffle(t, "--version")
	want := regexp.MustCompile(`^riffle dev \(commit ([0-9a-f]+(-dirty)?|unknown), go[0-9.]+[^)]*\)\n$`)
	if err != nil || !want.MatchString(out) || !strings.Contains(out, runtime.Version()) {
		t.Errorf("riffle --version: %v, printed %q", err, out)
	}
}

// TestServePrintsTheConsole: riffle serve prints, after the line with its
// address, the console's URL, which answers the console's page; its help
// mentions the console.
func TestServePrintsTheConsole(t *testing.T) {
	srv := startServer(t, t.TempDir())
	line, err := srv.stdout.ReadString('\n')
	if want := "console: " + srv.url + "/\n"; err != nil || line != want {
		t.Fatalf("second line %q (%v), want %q", line, err, want)
	}
	resp, err := http.Get(strings.TrimSpace(strings.TrimPrefix(line, "console: ")))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), "<html") {
		t.Errorf("the console's URL answers %s %s: %.200s", resp.Status, resp.Header.Get("Content-Type"), page)
	}
	out, _, err := runRiffle(t, "serve", "--help")
	if err != nil || !strings.Contains(out, "web console at /") {
		t.Errorf("riffle serve --help: %v, printed %q", err, out)
	}
}

// TestDescribeAndDeleteOfARunningApplication: riffle apps describe prints
// the SQL's <, > and & as they are (still valid JSON); riffle apps delete
// refuses a RUNNING application without --force, and deletes it with it.
func TestDescribeAndDeleteOfARunningApplication(t *testing.T) {
	srv := startServer(t, t.TempDir())
	if _, err := call(srv.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "lab"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, schema := filepath.Join(dir, "app.sql"), filepath.Join(dir, "schema.json")
	sql := `CREATE STREAM "DESTINATION_SQL_STREAM" (action VARCHAR(32));
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM "browseraction" FROM "SOURCE_SQL_STREAM_001"
WHERE "browseraction" <> 'x' AND CHAR_LENGTH("browseraction") > 0; -- a \u003e b & c`
	os.WriteFile(code, []byte(sql), 0o644)
	os.WriteFile(schema, []byte(`{"RecordFormat":{"RecordFormatType":"JSON","MappingParameters":{"JSONMappingParameters":{"RecordRowPath":"$"}}},
"RecordColumns":[{"Name":"browseraction","SqlType":"VARCHAR(32)","Mapping":"$.browseraction"}]}`), 0o644)
	apps := func(args ...string) (string, error) {
		t.Helper()
		out, _, err := runRiffle(t, append(append([]string{"apps"}, args...), "--server", srv.url)...)
		return out, err
	}
	if _, err := apps("create", "lab", "--code", code, "--schema", schema, "--firehose", "lab"); err != nil {
		t.Fatal(err)
	}
	out, err := apps("describe", "lab")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `<> 'x' AND CHAR_LENGTH(\"browseraction\") > 0; -- a \\u003e b & c"`) {
		t.Errorf("describe prints the code as %q", out)
	}
	var desc struct {
		ApplicationDetail struct{ ApplicationCode string }
	}
	if err := json.Unmarshal([]byte(out), &desc); err != nil || desc.ApplicationDetail.ApplicationCode != sql {
		t.Errorf("describe's JSON: %v, code %q", err, desc.ApplicationDetail.ApplicationCode)
	}

	if _, err := apps("start", "lab"); err != nil {
		t.Fatal(err)
	}
	_, err = apps("delete", "lab")
	if got, want := firstLine(err), "application lab is RUNNING: stop it first (riffle apps stop lab), or delete it running with --force"; got != want {
		t.Errorf("delete of a running application: %q, want %q", got, want)
	}
	if out, _ := apps("list"); !strings.Contains(out, "RUNNING") {
		t.Errorf("after a refused delete, list prints %q", out)
	}
	if _, err := apps("delete", "lab", "--force"); err != nil {
		t.Fatalf("delete --force: %v", err)
	}
	if out, _ := apps("list"); strings.Contains(out, "lab") {
		t.Errorf("after delete --force, list prints %q", out)
	}
}

// TestGenSaysWhyItCannotSend: riffle gen to a stream the server lacks and
// with a key the server (--auth) does not know fails before sending, each
// with a line of its own (no server: TestCommandsWithoutAServerSaySo).
func TestGenSaysWhyItCannotSend(t *testing.T) {
	srv := startServer(t, t.TempDir(), "--auth", keyFile(t))
	gen := func(stream string) string {
		t.Helper()
		out, _, err := runRiffle(t, "gen", "--template", "{}", "--count", "1", "--stream", stream, "--endpoint-url", srv.url)
		if out != "" {
			t.Errorf("gen to %s printed %q", stream, out)
		}
		return firstLine(err)
	}
	if got, want := gen("nope"), "no stream nope at "+srv.url+": neither a delivery stream nor a data stream (riffle streams are made with the Firehose or Kinesis API, or in the console)"; got != want {
		t.Errorf("gen to a missing stream: %q, want %q", got, want)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDUNKNOWN")
	if got, want := gen("nope"), srv.url+" refused the credentials (The security token included in the request is invalid.): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to a key it accepts (for riffle serve --auth, a key of its file)"; got != want {
		t.Errorf("gen with an unknown key: %q, want %q", got, want)
	}
}

// TestGenInterruptedIsANormalEnd: riffle gen stopped by SIGINT (Ctrl-C)
// while sending exits 0 with what it sent and what was acknowledged.
func TestGenInterruptedIsANormalEnd(t *testing.T) {
	srv := startServer(t, t.TempDir())
	ctx := context.Background()
	kc := servertest.NewClients(srv.url, "AKIDEXAMPLE", "secret").Kinesis
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("events"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "RIFFLE_TEST_MAIN=gen --template {} --rate 50 --stream events --endpoint-url "+srv.url)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Interrupted once the server holds some of its records.
	poll.Until(t, 30*time.Second, func() (bool, string) {
		s, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("events")})
		if err != nil {
			return false, err.Error()
		}
		it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: s.StreamDescriptionSummary.StreamName, ShardId: aws.String("shardId-000000000000"), ShardIteratorType: kinesistypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			return false, err.Error()
		}
		got, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			return false, err.Error()
		}
		return len(got.Records) > 0, fmt.Sprintf("%d records stored", len(got.Records))
	})
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("gen after SIGINT: %v (stderr %q, stdout %q)", err, errOut.String(), out.String())
	}
	m := regexp.MustCompile(`^stopped: (\d+) sent, (\d+) acknowledged\n$`).FindStringSubmatch(out.String())
	if m == nil || m[1] == "0" {
		t.Fatalf("gen printed %q (stderr %q)", out.String(), errOut.String())
	}
}
