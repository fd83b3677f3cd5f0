package demo

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
)

// TestAnInterruptedDemo: Ctrl-C two seconds in (32 s of application time,
// before the first burst): the demo waits for its generator, and counts only
// the bursts that were sent (none), with or without --forever.
func TestAnInterruptedDemo(t *testing.T) {
	for _, forever := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var out bytes.Buffer
		res, err := Run(ctx, Options{Listen: "127.0.0.1:0", Speed: 16, Chart: filepath.Join(t.TempDir(), "demo.svg"), Seed: 1, Out: &out, Forever: forever})
		cancel()
		if err != nil {
			t.Errorf("forever %v: %v", forever, err)
			continue
		}
		if res.Bursts != 0 || res.FalseAlarms != 0 {
			t.Errorf("forever %v: interrupted before the first burst: %d of %d bursts detected, %d false alarms",
				forever, res.BurstsDetected, res.Bursts, res.FalseAlarms)
		}
	}
}

// TestTheDemoRunsAgainOnItsData: with --data, a second demo finds the
// stream (and the application) of the first and runs all the same.
func TestTheDemoRunsAgainOnItsData(t *testing.T) {
	dir := t.TempDir()
	srv := servertest.Start(t, server.Config{Data: dir})
	if err := srv.Log.Create(context.Background(), Stream, "firehose", 1); err != nil { // what a first run left
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := Run(ctx, Options{Data: dir, Listen: "127.0.0.1:0", Speed: 16, Chart: filepath.Join(t.TempDir(), "demo.svg"), Forever: true})
	if err != nil {
		t.Errorf("a second demo on the same --data: %v", err)
	}
}
