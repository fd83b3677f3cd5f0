package rcf_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/riffle-sql/riffle/rcf"
)

// The benchmarks measure score-then-update at the service's defaults (100
// trees, sample 256, timeDecay 100000) on the spec's noisy sine, after a
// warm-up long enough for the samplers to reach their steady state of rare
// replacements. Each op is one record; points/s = 1e9 / (ns/op).
//
//	go test -run '^$' -bench . -benchmem -count 10 -cpu 1 ./rcf | tee new.txt
//	benchstat new.txt
const benchWarmUp = 20000

func benchForest(b *testing.B, cfg rcf.Config) (*rcf.Forest, []float64) {
	f, err := rcf.New(cfg.WithDefaults())
	if err != nil {
		b.Fatal(err)
	}
	xs := noisySine(benchWarmUp+100000, 17)
	for _, x := range xs[:benchWarmUp] {
		if _, err := f.Update([]float64{x}); err != nil {
			b.Fatal(err)
		}
	}
	return f, xs[benchWarmUp:]
}

func BenchmarkUpdate(b *testing.B) {
	for _, shingle := range []int{1, 8} {
		b.Run(fmt.Sprintf("shingle=%d", shingle), func(b *testing.B) {
			benchUpdates(b, rcf.Config{Dimensions: 1, Shingle: shingle, Seed: 1}, false)
		})
	}
}

// BenchmarkUpdateParallel spreads the trees over two goroutines per
// record (Config.Workers); run it with -cpu 2 to see whether it pays.
func BenchmarkUpdateParallel(b *testing.B) {
	benchUpdates(b, rcf.Config{Dimensions: 1, Shingle: 8, Seed: 1, Workers: 2}, false)
}

func BenchmarkUpdateExplained(b *testing.B) {
	for _, shingle := range []int{1, 8} {
		b.Run(fmt.Sprintf("shingle=%d", shingle), func(b *testing.B) {
			benchUpdates(b, rcf.Config{Dimensions: 1, Shingle: shingle, Seed: 1}, true)
		})
	}
}

func benchUpdates(b *testing.B, cfg rcf.Config, explained bool) {
	f, xs := benchForest(b, cfg)
	rec := make([]float64, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec[0] = xs[i%len(xs)]
		var err error
		if explained {
			_, err = f.UpdateExplained(rec)
		} else {
			_, err = f.Update(rec)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkForestMemory reports the heap a forest at the defaults holds
// once its samplers are full, and the size of its saved state.
func BenchmarkForestMemory(b *testing.B) {
	for _, shingle := range []int{1, 8} {
		b.Run(fmt.Sprintf("shingle=%d", shingle), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				f, _ := benchForest(b, rcf.Config{Dimensions: 1, Shingle: shingle, Seed: 1})
				runtime.GC()
				runtime.ReadMemStats(&after)
				saved, err := f.MarshalBinary()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB/forest")
				b.ReportMetric(float64(len(saved))/(1<<20), "MiB/saved")
				runtime.KeepAlive(f)
			}
		})
	}
}
