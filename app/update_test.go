package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestAnUpdateThatDropsAnOutputsStreamIsRefused: new code without the
// stream an output reads is refused as invalid, and the running
// application goes on as it was.
func TestAnUpdateThatDropsAnOutputsStreamIsRefused(t *testing.T) {
	l, ctx := setup(t)
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond, Functions: nil, OutputDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	out := Output{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: FileOutput, Target: "x.json"}
	if _, err := m.Create(ctx, Application{Name: "lab", Code: countsSQL, Inputs: []Input{in}, Outputs: []Output{out}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	err = m.UpdateCode(ctx, "lab", 1, `CREATE STREAM "OTHER" (a VARCHAR(8)); CREATE PUMP p AS INSERT INTO "OTHER" SELECT STREAM "browseraction" FROM "SOURCE_SQL_STREAM_001";`)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "DESTINATION_SQL_STREAM") {
		t.Fatalf("the update: %v, want it refused naming the output's stream", err)
	}
	if a, _ := m.Get(ctx, "lab"); a.Status != Running || a.Version != 1 || a.Code != countsSQL {
		t.Fatalf("after the refused update: %s version %d", a.Status, a.Version)
	}
	if _, err := m.Streams(context.Background(), "lab"); err != nil {
		t.Fatalf("the application stopped: %v", err)
	}
}
