//go:build nab

// Fidelity against the service itself: NAB stores Kinesis Data Analytics'
// RANDOM_CUT_FOREST(cursor, 100, 256, 100000, 1) output (divided by 8) for
// each of its 58 series. This test scores the same series and compares.
// It needs ../shared/nab, so it is built only with the nab tag:
//
//	go test -tags nab -run NAB -v ./rcf -nab ../../shared/nab -nab-table ../docs/rcf-fidelity-table.md
//
// (-nab is relative to the package directory, where go test runs.)
package rcf_test

import (
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/riffle-sql/riffle/rcf"
)

var (
	nabDir   = flag.String("nab", "../../shared/nab", "NAB copy with results/randomCutForest")
	nabTable = flag.String("nab-table", "", "write the fidelity table (markdown) to this file")
	nabSeed  = flag.Uint64("nab-seed", 42, "first forest seed")
	nabSeeds = flag.Int("nab-seeds", 8, "how many seeds (nab-seed, nab-seed+1, ...) to run on every series")
)

const (
	maxMedianError = 0.03
	minPearson     = 0.95
)

// One run of one seed on one series, scores after warm-up.
type nabRun struct {
	zeros   int
	first   float64
	median  float64
	max     float64
	pearson float64
}

type nabSeries struct {
	name       string
	points     int
	kda        nabRun
	runs       []nabRun // one per seed
	meanMedian float64  // over seeds
}

// TestNABFidelity compares with the service on all 58 series. Two forests
// with different seeds differ too: a series' median moves by about 1 % (up
// to 1.6 %) from seed to seed, and the service's output is one such draw.
// So the test checks the systematic difference (the median over seeds
// against the service's median, and the middle seed's Pearson r), and the
// table also shows the first seed alone.
func TestNABFidelity(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(*nabDir, "results", "randomCutForest", "*", "randomCutForest_*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no NAB results under %s (%v): pass -nab DIR", *nabDir, err)
	}
	if len(files) != 58 {
		t.Fatalf("found %d NAB series, want 58", len(files))
	}
	results := make([]nabSeries, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, file := range files {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var err error
			if results[i], err = scoreNAB(file); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	sort.Slice(results, func(i, j int) bool { return results[i].name < results[j].name })

	var table strings.Builder
	fmt.Fprintf(&table, "| series | points | KDA median | Riffle median, seed %d | error | Riffle median, mean of %d seeds | error | Pearson r, seed %d | Pearson r, median of seeds | KDA max | Riffle max, seed %d |\n", *nabSeed, *nabSeeds, *nabSeed, *nabSeed)
	fmt.Fprintf(&table, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	var firstErrs, meanErrs, firstRs, medRs []float64
	for _, r := range results {
		first := r.runs[0]
		firstErr := relError(first.median, r.kda.median)
		meanErr := relError(r.meanMedian, r.kda.median)
		rs := make([]float64, len(r.runs))
		for i, run := range r.runs {
			rs[i] = run.pearson
		}
		medR := medianOf(rs)
		fmt.Fprintf(&table, "| %s | %d | %.4f | %.4f | %.2f %% | %.4f | %.2f %% | %s | %s | %.4f | %.4f |\n",
			r.name, r.points, r.kda.median, first.median, 100*firstErr, r.meanMedian, 100*meanErr, fmtR(first.pearson), fmtR(medR), r.kda.max, first.max)
		firstErrs, meanErrs = append(firstErrs, firstErr), append(meanErrs, meanErr)
		if !math.IsNaN(medR) {
			firstRs, medRs = append(firstRs, first.pearson), append(medRs, medR)
		}

		if r.kda.zeros != 256 {
			t.Errorf("%s: the service's output has %d leading zeros, want 256", r.name, r.kda.zeros)
		}
		for i, run := range r.runs {
			if run.zeros != 256 {
				t.Errorf("%s seed %d: %d leading zeros, want 256", r.name, *nabSeed+uint64(i), run.zeros)
			}
		}
		if meanErr > maxMedianError {
			t.Errorf("%s: median %.4f (mean over seeds) vs the service's %.4f: %.2f %% off (limit %.0f %%)", r.name, r.meanMedian, r.kda.median, 100*meanErr, 100*maxMedianError)
		}
		if math.IsNaN(medR) {
			// Constant scores (a flat series): they must be the service's.
			if math.Abs(first.median-r.kda.median) > 1e-9 {
				t.Errorf("%s: constant score %.10f, the service %.10f", r.name, first.median, r.kda.median)
			}
		} else if medR < minPearson {
			t.Errorf("%s: Pearson r %.4f (median over seeds) below %.2f", r.name, medR, minPearson)
		}
	}
	fmt.Fprintf(&table, "\nMedian error, seed %d alone: median %.2f %%, worst %.2f %%, %d series over 3 %%.\n", *nabSeed, 100*medianOf(firstErrs), 100*slices.Max(firstErrs), countAbove(firstErrs, maxMedianError))
	fmt.Fprintf(&table, "Median error, mean of %d seeds: median %.2f %%, worst %.2f %%, %d series over 3 %%.\n", *nabSeeds, 100*medianOf(meanErrs), 100*slices.Max(meanErrs), countAbove(meanErrs, maxMedianError))
	fmt.Fprintf(&table, "Pearson r, seed %d alone: median %.4f, lowest %.4f, %d series under 0.95; median over seeds: median %.4f, lowest %.4f (%d series with varying scores).\n",
		*nabSeed, medianOf(firstRs), slices.Min(firstRs), countBelow(firstRs, minPearson), medianOf(medRs), slices.Min(medRs), len(medRs))
	t.Log("\n" + table.String())
	if *nabTable != "" {
		if err := os.WriteFile(*nabTable, []byte(table.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The service's output where it is deterministic, to its printed digits.
	for _, r := range results {
		var want float64
		switch r.name {
		case "art_flatline":
			want = 8.0 / 257
		case "art_daily_perfect_square_wave":
			want = 8 / (1 + math.Log2(148))
		default:
			continue
		}
		if math.Abs(r.kda.first-want) > 1e-9 {
			t.Errorf("%s: the service's first score %.12f, expected %.12f", r.name, r.kda.first, want)
		}
		for i, run := range r.runs {
			if math.Abs(run.first-want) > 1e-12 {
				t.Errorf("%s seed %d: first score %.12f, want %.12f", r.name, *nabSeed+uint64(i), run.first, want)
			}
		}
	}
}

func fmtR(r float64) string {
	if math.IsNaN(r) {
		return "constant"
	}
	return fmt.Sprintf("%.4f", r)
}

func countAbove(xs []float64, limit float64) int {
	n := 0
	for _, x := range xs {
		if x > limit {
			n++
		}
	}
	return n
}

func countBelow(xs []float64, limit float64) int {
	n := 0
	for _, x := range xs {
		if x < limit {
			n++
		}
	}
	return n
}

func relError(a, b float64) float64 {
	if b == 0 {
		return math.Abs(a)
	}
	return math.Abs(a-b) / math.Abs(b)
}

func scoreNAB(path string) (nabSeries, error) {
	file, err := os.Open(path)
	if err != nil {
		return nabSeries{}, err
	}
	defer file.Close()
	rows, err := csv.NewReader(file).ReadAll()
	if err != nil {
		return nabSeries{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) < 258 || rows[0][1] != "value" || rows[0][2] != "anomaly_score" {
		return nabSeries{}, fmt.Errorf("%s: unexpected header %v or too few rows", path, rows[0])
	}
	name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "randomCutForest_"), ".csv")
	r := nabSeries{name: name, points: len(rows) - 1}
	values, kda := make([]float64, r.points), make([]float64, r.points)
	for i, row := range rows[1:] {
		v, err1 := strconv.ParseFloat(row[1], 64)
		k, err2 := strconv.ParseFloat(row[2], 64)
		if err1 != nil || err2 != nil {
			return r, fmt.Errorf("%s line %d: %v %v", path, i+2, err1, err2)
		}
		values[i], kda[i] = v, 8*k
	}
	r.kda = summarise(kda, kda)
	for seed := *nabSeed; seed < *nabSeed+uint64(*nabSeeds); seed++ {
		f, err := rcf.New(rcf.Config{Dimensions: 1, Seed: seed}.WithDefaults())
		if err != nil {
			return r, err
		}
		scores := make([]float64, r.points)
		for i, v := range values {
			if scores[i], err = f.Update([]float64{v}); err != nil {
				return r, fmt.Errorf("%s line %d: %w", path, i+2, err)
			}
		}
		run := summarise(scores, kda)
		r.runs = append(r.runs, run)
		r.meanMedian += run.median / float64(*nabSeeds)
	}
	return r, nil
}

// summarise describes scores; Pearson r is against the service's.
func summarise(scores, kda []float64) nabRun {
	var run nabRun
	for run.zeros < len(scores) && scores[run.zeros] == 0 {
		run.zeros++
	}
	after, kdaAfter := scores[256:], kda[256:]
	run.first = after[0]
	run.median = medianOf(after)
	run.max = slices.Max(after)
	run.pearson = pearson(after, kdaAfter)
	return run
}

func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[n/2]
}

// pearson is NaN when either series is constant (r is undefined).
func pearson(a, b []float64) float64 {
	if slices.Min(a) == slices.Max(a) || slices.Min(b) == slices.Max(b) {
		return math.NaN()
	}
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	return sab / math.Sqrt(saa*sbb)
}
