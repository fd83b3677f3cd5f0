package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/internal/promscrape"
	"github.com/riffle-sql/riffle/internal/testproc"
)

func TestServeRefusesAnOpenAddressWithoutInsecure(t *testing.T) {
	_, _, err := runRiffle(t, "serve", "--data", t.TempDir(), "--listen", "0.0.0.0:0")
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("serve on 0.0.0.0: %v, want a refusal", err)
	}
}

// TestServeRefusesFunctionsThatCannotWork: a function URL that is not
// http(s), a notifier config that does not load and one whose SMTP server
// cannot be reached stop the server from starting, saying which.
func TestServeRefusesFunctionsThatCannotWork(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	dir := t.TempDir()
	unreachable := filepath.Join(dir, "unreachable.yaml")
	os.WriteFile(unreachable, []byte("subscriptions:\n  - email: ops@example.com\nsmtp: {host: 127.0.0.1, port: "+addr[strings.LastIndexByte(addr, ':')+1:]+"}\n"), 0o644)
	for _, c := range []struct{ flag, want string }{
		{"--function=f=ftp://example.com/f", "--function f: function URL \"ftp://example.com/f\": want an absolute http or https URL"},
		{"--notifier=n=" + filepath.Join(dir, "missing.yaml"), "--notifier n:"},
		{"--notifier=n=" + unreachable, "--notifier n: smtp " + addr + ": dial tcp " + addr},
	} {
		_, _, err := runRiffle(t, "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", c.flag)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("serve %s: %v, want %q", c.flag, err, c.want)
		}
	}
}

// TestASecondServerOnTheSameDataExitsAtOnce: riffle serve on a data
// directory another riffle serve has (the natural retry after "address
// already in use", on another --listen) exits at once saying so, and the
// first server's applications go on.
func TestASecondServerOnTheSameDataExitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	first := startServer(t, dir)
	startPassThrough(t, first.url)
	_, _, err := runRiffle(t, "serve", "--data", dir, "--listen", "127.0.0.1:0")
	want := fmt.Sprintf("%s is in use by riffle serve (pid %d)", dir, first.cmd.Process.Pid)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("a second serve on the same data: %v, want %q", err, want)
	}
	got, err := call(first.url, "KinesisAnalytics_20150814.DescribeApplication", map[string]string{"ApplicationName": "lab"})
	if err != nil {
		t.Fatalf("the first server's application after the second server: %v", err)
	}
	if status := got["ApplicationDetail"].(map[string]any)["ApplicationStatus"]; status != "RUNNING" {
		t.Fatalf("the first server's application is %v, want RUNNING", status)
	}
}

// startPassThrough creates a delivery stream "clicks" and starts an
// application "lab" that passes its records to OUT.
func startPassThrough(t *testing.T, url string) {
	t.Helper()
	if _, err := call(url, "Firehose_20150804.CreateDeliveryStream", map[string]string{"DeliveryStreamName": "clicks"}); err != nil {
		t.Fatal(err)
	}
	app := map[string]any{"ApplicationName": "lab", "ApplicationCode": `CREATE STREAM "OUT" (a VARCHAR(8)); CREATE PUMP p AS INSERT INTO "OUT" SELECT STREAM "a" FROM "SOURCE_SQL_STREAM_001";`,
		"Inputs": []any{map[string]any{"NamePrefix": "SOURCE_SQL_STREAM", "KinesisFirehoseInput": map[string]string{"ResourceARN": "arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks"},
			"InputSchema": map[string]any{"RecordFormat": map[string]string{"RecordFormatType": "JSON"}, "RecordColumns": []any{map[string]string{"Name": "a", "SqlType": "VARCHAR(8)", "Mapping": "$.a"}}}}}}
	if _, err := call(url, "KinesisAnalytics_20150814.CreateApplication", app); err != nil {
		t.Fatal(err)
	}
	startApplication(t, url, "lab")
}

// TestSIGTERMEndsTapsCheckpointsAndExits: SIGTERM on a server with a
// running application and a tap open ends the tap, checkpoints and exits
// with status 0 without waiting out a timeout; restarted, the server
// answers at once and the application runs again where it stood.
func TestSIGTERMEndsTapsCheckpointsAndExits(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	startPassThrough(t, srv.url)
	resp, err := http.Get(srv.url + "/riffle/v1/applications/lab/streams/OUT")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("tap: %v %v", resp, err)
	}
	defer resp.Body.Close()
	tapEnded := make(chan struct{})
	go func() {
		io.Copy(io.Discard, resp.Body)
		close(tapEnded)
	}()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("riffle serve after SIGTERM: %v\n%s", err, srv.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("riffle serve did not exit after SIGTERM:\n%s", srv.stderr)
	}
	<-tapEnded
	if log := srv.stderr.String(); strings.Contains(log, "deadline exceeded") || strings.Contains(log, "level=ERROR") {
		t.Fatalf("the shutdown logged errors:\n%s", log)
	}
	again := startServer(t, dir)
	got, err := call(again.url, "KinesisAnalytics_20150814.DescribeApplication", map[string]string{"ApplicationName": "lab"})
	if err != nil || got["ApplicationDetail"].(map[string]any)["ApplicationStatus"] != "RUNNING" {
		t.Fatalf("after the restart: %v %v", got, err)
	}
	tap, err := http.Get(again.url + "/riffle/v1/applications/lab/streams/OUT?follow=false")
	if err != nil || tap.StatusCode != http.StatusOK {
		t.Fatalf("a tap right after the restart: %v %v", tap, err)
	}
	tap.Body.Close()
}

// TestServeNamesItsNode: a name that cannot name a node is refused before
// anything starts; the default name, from the host and the port, is one
// that can.
func TestServeNamesItsNode(t *testing.T) {
	_, _, err := runRiffle(t, "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--node", "two words")
	if err == nil || !strings.Contains(err.Error(), "--node") {
		t.Fatalf("serve --node 'two words': %v, want a refusal", err)
	}
	name := defaultNode(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4573})
	if err := app.CheckNode(name); err != nil || !strings.HasSuffix(name, "-4573") {
		t.Fatalf("default node name %q: %v", name, err)
	}
}

// TestCtrlCCheckpointsAndExits: Ctrl-C (SIGINT) on a server with a
// running application, a tap open and a delivery stream whose S3 does
// not answer exits with status 0, logging no timeout; restarted, the
// application goes on from the checkpoint written at the shutdown (the
// periodic ones are an hour apart): it reads only the record sent since.
func TestCtrlCCheckpointsAndExits(t *testing.T) {
	// An S3 that refuses connections, and credentials so that the SDK
	// does not look for an instance role.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nowhere := "http://" + l.Addr().String()
	l.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	flags := []string{"--checkpoint", "1h", "--aws-endpoint", "s3=" + nowhere}

	dir := t.TempDir()
	srv := startServer(t, dir, flags...)
	startPassThrough(t, srv.url)
	if _, err := call(srv.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "archive",
		"ExtendedS3DestinationConfiguration": map[string]any{"RoleARN": "arn:aws:iam::000000000000:role/r", "BucketARN": "arn:aws:s3:::nobucket",
			"BufferingHints": map[string]int{"IntervalInSeconds": 60, "SizeInMBs": 5}}}); err != nil {
		t.Fatal(err)
	}
	put := func(url, stream, a string) {
		t.Helper()
		data := base64.StdEncoding.EncodeToString([]byte(`{"a":"` + a + `"}`))
		if _, err := call(url, "Firehose_20150804.PutRecord", map[string]any{"DeliveryStreamName": stream, "Record": map[string]string{"Data": data}}); err != nil {
			t.Fatal(err)
		}
	}
	put(srv.url, "archive", "kept")
	before := &rowSet{rows: map[string]bool{}}
	before.follow(t, srv.url, "lab", "OUT")
	for _, a := range []string{"r1", "r2", "r3"} {
		put(srv.url, "clicks", a)
	}
	before.waitFor(t, 3)

	if err := srv.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Wait(); err != nil {
		t.Fatalf("riffle serve after Ctrl-C: %v\n%s", err, srv.stderr)
	}
	if log := srv.stderr.String(); strings.Contains(log, "deadline exceeded") {
		t.Fatalf("the shutdown logged a timeout:\n%s", log)
	}

	again := startServer(t, dir, flags...)
	put(again.url, "clicks", "r4")
	after := &rowSet{rows: map[string]bool{}}
	after.follow(t, again.url, "lab", "OUT")
	after.waitFor(t, 1)
	if rows := after.snapshot(); len(rows) != 1 || !strings.Contains(rows[0], `"r4"`) {
		t.Fatalf("rows after the restart: %v, want r4's only", rows)
	}
	if n := recordsRead(t, again.url, "lab"); n != "1" {
		t.Fatalf("the application read %s records after the restart, want 1 (the one sent since the shutdown)", n)
	}
}

// recordsRead is an application's riffle_application_records_read_total
// on the server's /metrics ("none" when it has none).
func recordsRead(t *testing.T, url, app string) string {
	t.Helper()
	if n, ok := promscrape.Series(t, url)[`riffle_application_records_read_total{application="`+app+`"}`]; ok {
		return fmt.Sprint(n)
	}
	return "none"
}

// TestServeAnswersOnlyItsOwnNames: a page of another site whose name is
// rebound to 127.0.0.1 (DNS rebinding) reaches riffle serve with its own
// name in Host: the API and the console refuse it, and answer the server's
// address, localhost and the names given with --allowed-host.
func TestServeAnswersOnlyItsOwnNames(t *testing.T) {
	srv := startServer(t, t.TempDir(), "--allowed-host", "riffle.test")
	for host, want := range map[string]int{
		"attacker.example": http.StatusForbidden,
		"riffle.test:4573": http.StatusOK,
		"localhost":        http.StatusOK,
		"":                 http.StatusOK, // the URL's own address
	} {
		for _, path := range []string{"/", "/riffle/v1/functions"} {
			var req *http.Request
			if path == "/" {
				req, _ = http.NewRequest(http.MethodPost, srv.url, strings.NewReader(`{}`))
				req.Header.Set("X-Amz-Target", "KinesisAnalytics_20150814.ListApplications")
				req.Header.Set("Content-Type", "application/x-amz-json-1.1")
				req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesisanalytics/aws4_request, SignedHeaders=host, Signature=00")
			} else {
				req, _ = http.NewRequest(http.MethodGet, srv.url+path, nil)
			}
			if host != "" {
				req.Host = host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("Host %q %s: %s %s, want %d", host, path, resp.Status, body, want)
			}
			if want == http.StatusForbidden && !strings.Contains(string(body), "--allowed-host") {
				t.Errorf("Host %q %s: the refusal does not say how to allow a name: %s", host, path, body)
			}
		}
	}
}

// TestMetricsHaveTheirOwnListenerUnderAuth: under --auth, /metrics on the
// server's address asks for a signature; --metrics-listen serves them to a
// scraper that cannot sign, on loopback.
func TestMetricsHaveTheirOwnListenerUnderAuth(t *testing.T) {
	port, err := testproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	metrics := fmt.Sprintf("127.0.0.1:%d", port)
	srv := startServer(t, t.TempDir(), "--auth", keyFile(t), "--metrics-listen", metrics)
	resp, err := http.Get(srv.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Fatalf("unsigned /metrics on the server's address: %s, want refused", resp.Status)
	}
	resp, err = http.Get("http://" + metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "riffle_") {
		t.Fatalf("--metrics-listen: %s %.200s", resp.Status, body)
	}
}
