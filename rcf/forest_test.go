package rcf_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/rcf"
)

func mustForest(t testing.TB, cfg rcf.Config) *rcf.Forest {
	t.Helper()
	f, err := rcf.New(cfg.WithDefaults())
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return f
}

func mustUpdate(t testing.TB, f *rcf.Forest, record ...float64) float64 {
	t.Helper()
	s, err := f.Update(record)
	if err != nil {
		t.Fatalf("Update(%v): %v", record, err)
	}
	return s
}

// noisySine is the spec's synthetic series: period 60, amplitude 10, N(0,1) noise.
func noisySine(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 10*math.Sin(2*math.Pi*float64(i)/60) + r.NormFloat64()
	}
	return xs
}

func TestWarmUpScoresZeroForTheFirstSampleSizeRecords(t *testing.T) {
	for _, c := range []struct{ sample, shingle int }{{256, 1}, {10, 1}, {64, 4}} {
		f := mustForest(t, rcf.Config{Dimensions: 1, SampleSize: c.sample, Shingle: c.shingle, Trees: 20, Seed: 7})
		warmUp := c.sample + c.shingle - 1
		for i, x := range noisySine(warmUp+50, 3) {
			if f.Ready() != (i >= warmUp) {
				t.Fatalf("sample %d shingle %d: before record %d Ready() = %v", c.sample, c.shingle, i, f.Ready())
			}
			s := mustUpdate(t, f, x)
			if i < warmUp && s != 0 {
				t.Fatalf("sample %d shingle %d: record %d scored %v during warm-up", c.sample, c.shingle, i, s)
			}
			if i >= warmUp && s <= 0 {
				t.Fatalf("sample %d shingle %d: record %d scored %v after warm-up", c.sample, c.shingle, i, s)
			}
		}
	}
}

func TestConstantSeriesScoresEightOver257(t *testing.T) {
	f := mustForest(t, rcf.Config{Dimensions: 1, Seed: 1})
	for i := 0; i < 2000; i++ {
		s := mustUpdate(t, f, 45.0)
		if i >= 256 && s != 8.0/257 {
			t.Fatalf("record %d scored %.12f, want 8/257 = %.12f", i, s, 8.0/257)
		}
	}
}

func TestFirstScoreAgainstTwoValuedSample(t *testing.T) {
	// 148 copies of 20 and 108 of 80, interleaved as a square wave would be:
	// every tree cuts once at the root, so 20's leaf sits at depth 1 with
	// mass 148 and scores 1/(1 + log2 148), times log2 256 = 8.
	f := mustForest(t, rcf.Config{Dimensions: 1, Seed: 99})
	lows, highs := 0, 0
	for i := 0; i < 256; i++ {
		v := 80.0
		if (i/12)%2 == 0 && lows < 148 || highs == 108 {
			v = 20
			lows++
		} else {
			highs++
		}
		if s := mustUpdate(t, f, v); s != 0 {
			t.Fatalf("warm-up record %d scored %v", i, s)
		}
	}
	if lows != 148 || highs != 108 {
		t.Fatalf("test set-up: %d lows, %d highs", lows, highs)
	}
	got := mustUpdate(t, f, 20)
	want := 8 / (1 + math.Log2(148))
	if math.Abs(got-want) > 1e-12 {
		t.Fatalf("first score %.12f, want 8/(1+log2 148) = %.12f", got, want)
	}
}

func TestMaximumScoreIsLog2SampleSize(t *testing.T) {
	f := mustForest(t, rcf.Config{Dimensions: 1, Seed: 5})
	for i := 0; i < 256; i++ {
		mustUpdate(t, f, 3)
	}
	if s := mustUpdate(t, f, 4); s != 8 {
		t.Fatalf("new value after an all-identical sample scored %v, want exactly 8", s)
	}
	// No score on any input exceeds log2(sample size).
	for _, sample := range []int{10, 100, 256} {
		f := mustForest(t, rcf.Config{Dimensions: 2, SampleSize: sample, Trees: 30, Seed: 11})
		r := rand.New(rand.NewPCG(4, 4))
		limit := math.Log2(float64(sample)) + 1e-12
		for i := 0; i < 3000; i++ {
			rec := []float64{r.NormFloat64(), r.NormFloat64()}
			if i%97 == 0 {
				rec[i%2] = 1000 * r.NormFloat64()
			}
			if s := mustUpdate(t, f, rec...); s < 0 || s > limit {
				t.Fatalf("sample %d: record %d scored %v, outside [0, %v]", sample, i, s, limit)
			}
		}
	}
}

func TestSpikeInNoisySineRanksInTopOnePercent(t *testing.T) {
	xs := noisySine(6000, 21)
	const spikeAt = 4321
	xs[spikeAt] += 25
	f := mustForest(t, rcf.Config{Dimensions: 1, Seed: 8})
	var scores []float64
	var spike float64
	for i, x := range xs {
		s := mustUpdate(t, f, x)
		if i >= 256 {
			scores = append(scores, s)
		}
		if i == spikeAt {
			spike = s
		}
	}
	higher := 0
	for _, s := range scores {
		if s > spike {
			higher++
		}
	}
	if limit := len(scores) / 100; higher >= limit {
		t.Fatalf("spike scored %.3f; %d of %d scores are higher (top 1%% allows %d)", spike, higher, len(scores), limit-1)
	}
}

func TestSameSeedSameScoresBitForBit(t *testing.T) {
	run := func(cfg rcf.Config) []uint64 {
		f := mustForest(t, cfg)
		var bits []uint64
		for i, x := range noisySine(3000, 2) {
			s := mustUpdate(t, f, x, float64(i%7))
			bits = append(bits, math.Float64bits(s))
		}
		return bits
	}
	base := rcf.Config{Dimensions: 2, Shingle: 3, Trees: 40, Seed: 1234}
	a, b := run(base), run(base)
	if !slices.Equal(a, b) {
		t.Fatal("two forests with the same seed and input gave different scores")
	}
	parallel := base
	parallel.Workers = 3
	if !slices.Equal(a, run(parallel)) {
		t.Fatal("spreading trees over workers changed the scores")
	}
	other := base
	other.Seed = 1235
	if slices.Equal(a, run(other)) {
		t.Fatal("a different seed gave identical scores: the seed is not used")
	}
}

func TestSaveAndRestoreContinuesExactly(t *testing.T) {
	xs := noisySine(1500, 9)
	for _, explained := range []bool{false, true} {
		cfg := rcf.Config{Dimensions: 2, Shingle: 2, Trees: 25, SampleSize: 64, TimeDecay: 500, Seed: 77}
		orig := mustForest(t, cfg)
		step := func(f *rcf.Forest, i int) string {
			rec := []float64{xs[i], float64(i % 11)}
			if explained {
				e, err := f.UpdateExplained(rec)
				if err != nil {
					t.Fatal(err)
				}
				js, err := e.JSON([]string{"a", "b"}, true)
				if err != nil {
					t.Fatal(err)
				}
				return js + " " + exact(e.Score)
			}
			return exact(mustUpdate(t, f, rec...))
		}
		for i := 0; i < 700; i++ {
			step(orig, i)
		}
		saved, err := orig.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		restored, err := rcf.Restore(saved)
		if err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if restored.Records() != orig.Records() {
			t.Fatalf("restored forest has %d records, original %d", restored.Records(), orig.Records())
		}
		for i := 700; i < len(xs); i++ {
			if a, b := step(orig, i), step(restored, i); a != b {
				t.Fatalf("explained=%v record %d: original %s, restored %s", explained, i, a, b)
			}
		}
	}
}

// exact renders a float so that two renderings are equal only when the bits are.
func exact(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func TestRestoreRejectsDamagedState(t *testing.T) {
	f := mustForest(t, rcf.Config{Dimensions: 1, Trees: 5, SampleSize: 16, Seed: 3})
	for _, x := range noisySine(100, 1) {
		mustUpdate(t, f, x)
	}
	saved, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, damaged := range [][]byte{nil, []byte("not a forest"), saved[:len(saved)/2]} {
		if _, err := rcf.Restore(damaged); !errors.Is(err, rcf.ErrState) {
			t.Errorf("Restore of %d damaged bytes: got %v, want ErrState", len(damaged), err)
		}
	}
}

func TestParameterRangeErrorsNameTheParameter(t *testing.T) {
	cases := []struct {
		cfg  rcf.Config
		want string
	}{
		{rcf.Config{Dimensions: 1, Trees: 1001}, "numberOfTrees is 1001, must be between 1 and 1000"},
		{rcf.Config{Dimensions: 1, Trees: -1}, "numberOfTrees is -1"},
		{rcf.Config{Dimensions: 1, SampleSize: 9}, "subSampleSize is 9, must be between 10 and 1000"},
		{rcf.Config{Dimensions: 1, SampleSize: 1001}, "subSampleSize is 1001"},
		{rcf.Config{Dimensions: 1, TimeDecay: -5}, "timeDecay is -5, must be between 1 and 2147483647"},
		{rcf.Config{Dimensions: 1, TimeDecay: 1 << 31}, "timeDecay is 2147483648"},
		{rcf.Config{Dimensions: 1, SampleSize: 300, TimeDecay: 300}, "subSampleSize (300) must be less than timeDecay (300)"},
		{rcf.Config{Dimensions: 1, Shingle: 31}, "shingleSize is 31, must be between 1 and 30"},
		{rcf.Config{Dimensions: 31}, "number of numeric columns is 31, must be between 1 and 30"},
		{rcf.Config{}, "number of numeric columns is 0"},
	}
	for _, c := range cases {
		_, err := rcf.New(c.cfg.WithDefaults())
		if !errors.Is(err, rcf.ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an ErrConfig saying %q", c.cfg, err, c.want)
		}
	}
	// Every bad parameter is reported at once.
	_, err := rcf.New(rcf.Config{Dimensions: 1, Trees: 0 - 1, Shingle: 40}.WithDefaults())
	if err == nil || !strings.Contains(err.Error(), "numberOfTrees") || !strings.Contains(err.Error(), "shingleSize") {
		t.Errorf("two bad parameters: %v, want both named", err)
	}
	// Without WithDefaults a zero is out of range, as in the service.
	_, err = rcf.New(rcf.Config{Dimensions: 1})
	for _, name := range []string{"numberOfTrees is 0", "subSampleSize is 0", "timeDecay is 0", "shingleSize is 0"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("New with zero parameters: %v, want it to say %q", err, name)
		}
	}
	// The service's bounds themselves are accepted.
	for _, cfg := range []rcf.Config{
		{Dimensions: 30, Trees: 1, SampleSize: 10, TimeDecay: 11, Shingle: 30},
		{Dimensions: 1, Trees: 1000, SampleSize: 1000, TimeDecay: math.MaxInt32, Shingle: 1},
	} {
		if _, err := rcf.New(cfg); err != nil {
			t.Errorf("New(%+v): %v", cfg, err)
		}
	}
}

func TestBadRecordsAreRejectedAndChangeNothing(t *testing.T) {
	cfg := rcf.Config{Dimensions: 2, Trees: 10, SampleSize: 32, Seed: 4}
	clean, dirty := mustForest(t, cfg), mustForest(t, cfg)
	bad := [][]float64{{math.NaN(), 1}, {1, math.Inf(1)}, {math.Inf(-1), 0}, {1e39, 0}, {1}, {1, 2, 3}, nil}
	for i, x := range noisySine(200, 5) {
		rec := []float64{x, float64(i % 3)}
		if i%20 == 0 {
			b := bad[(i/20)%len(bad)]
			if _, err := dirty.Update(b); !errors.Is(err, rcf.ErrInput) {
				t.Fatalf("Update(%v) = %v, want ErrInput", b, err)
			}
			if _, err := dirty.UpdateExplained(b); !errors.Is(err, rcf.ErrInput) {
				t.Fatalf("UpdateExplained(%v) = %v, want ErrInput", b, err)
			}
		}
		if a, b := mustUpdate(t, clean, rec...), mustUpdate(t, dirty, rec...); a != b {
			t.Fatalf("record %d: %v after bad input, %v without", i, b, a)
		}
	}
}

// TestBytesIsWhatAForestHolds: Config.Bytes, which an application's
// forests are bounded by, is within a tenth of the heap a forest takes,
// from one tree to the service's defaults to a large forest.
func TestBytesIsWhatAForestHolds(t *testing.T) {
	for _, cfg := range []rcf.Config{
		{Trees: 1, SampleSize: 10, TimeDecay: 100, Shingle: 1, Dimensions: 1},
		rcf.Config{Dimensions: 1}.WithDefaults(),
		rcf.Config{Dimensions: 3, Shingle: 8}.WithDefaults(),
		{Trees: 200, SampleSize: 1000, TimeDecay: 100000, Shingle: 4, Dimensions: 30},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		// Enough forests that the heap's own noise does not count.
		forests := make([]*rcf.Forest, max(1, (64<<20)/cfg.Bytes()))
		for i := range forests {
			f, err := rcf.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			forests[i] = f
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / int64(len(forests))
		runtime.KeepAlive(forests)
		if est := cfg.Bytes(); est < held*9/10 || est > held*11/10 {
			t.Errorf("%d trees of %d points of %d×%d: Bytes says %d, the forest holds %d", cfg.Trees, cfg.SampleSize, cfg.Dimensions, cfg.Shingle, est, held)
		}
	}
}
