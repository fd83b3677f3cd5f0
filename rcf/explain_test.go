package rcf_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/riffle-sql/riffle/rcf"
)

// bloodPressure mimics the service's walkthrough generator: two integer
// columns around 120/80, with a few injected highs.
func bloodPressure(n int, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 2))
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = []float64{math.Round(120 + 8*r.NormFloat64()), math.Round(80 + 5*r.NormFloat64())}
	}
	return rows
}

func TestAttributionsSumToTheScore(t *testing.T) {
	for _, shingle := range []int{1, 3} {
		cfg := rcf.Config{Dimensions: 2, Shingle: shingle, Trees: 50, Seed: 12}
		plain, explained := mustForest(t, cfg), mustForest(t, cfg)
		for i, row := range bloodPressure(1500, 1) {
			if i%300 == 299 {
				row = []float64{row[0], 160}
			}
			score := mustUpdate(t, plain, row...)
			e, err := explained.UpdateExplained(row)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(e.Score-score) > 1e-12*max(1, score) {
				t.Fatalf("shingle %d record %d: explained score %v, plain score %v", shingle, i, e.Score, score)
			}
			sum := 0.0
			for _, c := range e.Columns {
				sum += c.Attribution
				if c.Attribution < 0 || c.Strength < 0 || c.High < 0 || c.Low < 0 {
					t.Fatalf("record %d: negative part in %+v", i, c)
				}
			}
			if math.Abs(sum-e.Score) > 1e-12*max(1, score) {
				t.Fatalf("shingle %d record %d: attributions sum to %v, score %v", shingle, i, sum, e.Score)
			}
		}
	}
}

func TestExplanationPointsAtTheUnusualColumn(t *testing.T) {
	f := mustForest(t, rcf.Config{Dimensions: 2, Seed: 31})
	rows := bloodPressure(2000, 4)
	var inlierStrengths []float64
	for i, row := range rows[:1999] {
		e, err := f.UpdateExplained(row)
		if err != nil {
			t.Fatal(err)
		}
		if i >= 256 {
			inlierStrengths = append(inlierStrengths, e.Columns[0].Strength, e.Columns[1].Strength)
		}
	}
	high, err := f.UpdateExplained([]float64{121, 140}) // diastolic far above normal
	if err != nil {
		t.Fatal(err)
	}
	d := high.Columns[1]
	if d.Direction != rcf.High || d.Attribution < 3*high.Columns[0].Attribution {
		t.Fatalf("diastolic spike explained as %+v (systolic %+v)", d, high.Columns[0])
	}
	slices.Sort(inlierStrengths)
	median := inlierStrengths[len(inlierStrengths)/2]
	if d.Strength < 5*median {
		t.Fatalf("spike strength %.4f, inlier median %.4f: strength should single out the spike", d.Strength, median)
	}
	low, err := f.UpdateExplained([]float64{70, 80}) // systolic far below normal
	if err != nil {
		t.Fatal(err)
	}
	if s := low.Columns[0]; s.Direction != rcf.Low || s.Attribution < 3*low.Columns[1].Attribution {
		t.Fatalf("systolic drop explained as %+v (diastolic %+v)", s, low.Columns[1])
	}
}

func TestExplanationJSONMatchesTheService(t *testing.T) {
	f := mustForest(t, rcf.Config{Dimensions: 2, Trees: 10, SampleSize: 10, TimeDecay: 100, Seed: 1})
	e, err := f.UpdateExplained([]float64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.JSON([]string{"Systolic", "Diastolic"}, true)
	if err != nil {
		t.Fatal(err)
	}
	const warmUp = `{"Systolic":{"DIRECTION":"LOW","STRENGTH":"0.0000","ATTRIBUTION_SCORE":"0.0000"},` +
		`"Diastolic":{"DIRECTION":"LOW","STRENGTH":"0.0000","ATTRIBUTION_SCORE":"0.0000"}}`
	if got != warmUp {
		t.Fatalf("warm-up explanation\n got %s\nwant %s", got, warmUp)
	}
	e = rcf.Explanation{Score: 3.8558, Columns: []rcf.ColumnExplanation{
		{Attribution: 1.74474, Direction: rcf.High, Strength: 0.85666},
		{Attribution: 2.11106, Direction: rcf.High, Strength: 7.09824},
	}}
	got, err = e.JSON([]string{"Systolic", `Dia"stolic`}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Systolic":{"DIRECTION":"HIGH","STRENGTH":"0.8567","ATTRIBUTION_SCORE":"1.7447"},` +
		`"Dia\"stolic":{"DIRECTION":"HIGH","STRENGTH":"7.0982","ATTRIBUTION_SCORE":"2.1111"}}`
	if got != want {
		t.Fatalf("explanation\n got %s\nwant %s", got, want)
	}
	got, _ = e.JSON([]string{"a", "b"}, false)
	if want := `{"a":{"ATTRIBUTION_SCORE":"1.7447"},"b":{"ATTRIBUTION_SCORE":"2.1111"}}`; got != want {
		t.Fatalf("without directionality\n got %s\nwant %s", got, want)
	}
	if _, err := e.JSON([]string{"only one"}, true); err == nil {
		t.Fatal("JSON with too few column names did not fail")
	}
}
