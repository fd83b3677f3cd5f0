package rcf_test

import (
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/rcf"
)

var update = flag.Bool("update", false, "rewrite testdata goldens")

// TestScoresMatchGolden pins the exact bits of a seeded run. The scores
// must not change with the machine, the Go version's math routines, the
// compiler's use of fused multiply-add (.ci/run repeats this test with
// GOAMD64=v3) or a refactoring: any change shows here, and a deliberate one
// is rewritten with -update after reading the diff.
func TestScoresMatchGolden(t *testing.T) {
	var out strings.Builder
	for _, c := range []struct {
		name string
		cfg  rcf.Config
	}{
		{"defaults", rcf.Config{Dimensions: 1, Seed: 42}},
		{"shingle4-2cols", rcf.Config{Dimensions: 2, Shingle: 4, Trees: 30, SampleSize: 64, TimeDecay: 1000, Seed: 7}},
	} {
		f := mustForest(t, c.cfg)
		h := fnv.New64a()
		xs := noisySine(4000, 13)
		var last float64
		var lastExplanation string
		for i, x := range xs {
			rec := []float64{x}
			if c.cfg.Dimensions == 2 {
				rec = append(rec, math.Round(x/3))
			}
			var s float64
			if i%2 == 0 {
				s = mustUpdate(t, f, rec...)
			} else {
				e, err := f.UpdateExplained(rec)
				if err != nil {
					t.Fatal(err)
				}
				s = e.Score
				for d := range e.High {
					fmt.Fprintf(h, "%x %x ", math.Float64bits(e.High[d]), math.Float64bits(e.Low[d]))
				}
				names := []string{"a", "b"}[:c.cfg.Dimensions]
				if lastExplanation, err = e.JSON(names, true); err != nil {
					t.Fatal(err)
				}
			}
			fmt.Fprintf(h, "%x\n", math.Float64bits(s))
			last = s
		}
		fmt.Fprintf(&out, "%s fnv64a=%016x last=%s\n%s explanation=%s\n", c.name, h.Sum64(), exact(last), c.name, lastExplanation)
	}
	const path = "testdata/scores.golden"
	if *update {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if out.String() != string(want) {
		t.Fatalf("scores changed:\n got %s\nwant %s", out.String(), want)
	}
}
