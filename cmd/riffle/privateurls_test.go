package main

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/lambdatest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/safedial"
)

// TestServeReachesPrivateURLsOnlyWithAllowPrivateURLs: riffle serve
// refuses a function URL on loopback given through the API (riffle apps
// add-output --lambda URL) with the one error of a URL, its cause in the
// server's log; with --allow-private-urls the same URL is taken and gets
// the application's rows. An operator's --function on loopback is reached
// either way (the lab's tests).
func TestServeReachesPrivateURLsOnlyWithAllowPrivateURLs(t *testing.T) {
	fn := lambdatest.New(t)
	for _, allow := range []bool{false, true} {
		var flags []string
		if allow {
			flags = append(flags, "--allow-private-urls")
		}
		srv := startServer(t, t.TempDir(), flags...)
		startActionApp(t, srv.url)
		_, _, err := runRiffle(t, "apps", "add-output", "lab", "--stream", "DESTINATION_SQL_STREAM", "--lambda", fn.URL+"/invoke", "--server", srv.url)
		if !allow {
			if err == nil || !strings.Contains(err.Error(), "InvalidArgumentException") || !strings.Contains(err.Error(), safedial.ErrUnusable.Error()) {
				t.Fatalf("a loopback function URL: %v, want the one error of a URL", err)
			}
			poll.Until(t, 10*time.Second, func() (bool, string) {
				return strings.Contains(srv.stderr.String(), "not a public address"), "the server's log says why: " + srv.stderr.String()
			})
			continue
		}
		if err != nil {
			t.Fatalf("with --allow-private-urls: %v", err)
		}
		payload := base64.StdEncoding.EncodeToString([]byte(`{"browseraction":"Click"}` + "\n"))
		if _, err := call(srv.url, "Firehose_20150804.PutRecord", map[string]any{"DeliveryStreamName": "lab", "Record": map[string]string{"Data": payload}}); err != nil {
			t.Fatal(err)
		}
		poll.Until(t, 30*time.Second, func() (bool, string) {
			rows := fn.Rows()
			return len(rows) > 0, "the loopback function got no row"
		})
	}
	if received, _ := fn.Counts(); received != 1 {
		t.Errorf("the function got %d records, want the one row sent to the server that allows it", received)
	}
}
