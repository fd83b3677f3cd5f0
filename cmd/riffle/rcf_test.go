package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/rcf"
)

// runRiffle runs the CLI as a user would and returns what it printed.
func runRiffle(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

// writeSeries writes a CSV of a noisy-free daily pattern with one spike
// and one unparsable value.
func writeSeries(t *testing.T, rows int, spikeAt, badAt int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("timestamp,load,label\n")
	for i := 0; i < rows; i++ {
		v := strconv.FormatFloat(50+20*math.Sin(2*math.Pi*float64(i)/48)+float64(i%5), 'f', 3, 64)
		if i == spikeAt {
			v = "400"
		}
		if i == badAt {
			v = "n/a"
		}
		fmt.Fprintf(&b, "2026-01-01T%05d,%s,x\n", i, v)
	}
	path := filepath.Join(t.TempDir(), "series.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRCFCommandScoresEveryRowAndFlagsTheSpike(t *testing.T) {
	path := writeSeries(t, 1200, 900, 500)
	out, errOut, err := runRiffle(t, "rcf", "--csv", path, "--trees", "50", "--sample", "128", "--seed", "3")
	if err != nil {
		t.Fatalf("riffle rcf: %v", err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v", err)
	}
	if got := strings.Join(rows[0], ","); got != "timestamp,load,label,ANOMALY_SCORE" {
		t.Fatalf("header %q", got)
	}
	if len(rows) != 1201 {
		t.Fatalf("%d output rows for 1200 input rows", len(rows)-1)
	}
	if !strings.Contains(errOut, "line 502: column \"load\": \"n/a\" is not a number") {
		t.Fatalf("bad value not reported with its line: %q", errOut)
	}
	best, bestAt := 0.0, -1
	for i, row := range rows[1:] {
		if i == 500 {
			if row[3] != "" {
				t.Fatalf("unparsable row got score %q", row[3])
			}
			continue
		}
		s, err := strconv.ParseFloat(row[3], 64)
		if err != nil {
			t.Fatalf("row %d score %q: %v", i, row[3], err)
		}
		// The bad row is not learned, so 128 good rows make the warm-up.
		if (i < 128) != (s == 0) {
			t.Fatalf("row %d scored %v (warm-up is the first 128 rows)", i, s)
		}
		if s > best {
			best, bestAt = s, i
		}
	}
	if bestAt != 900 {
		t.Fatalf("highest score %v at row %d, want the spike at row 900", best, bestAt)
	}
}

func TestRCFCommandMatchesTheLibraryAndExplains(t *testing.T) {
	path := writeSeries(t, 400, 350, -1)
	out, _, err := runRiffle(t, "rcf", "--csv", path, "--column", "load", "--explain", "--trees", "20", "--sample", "64", "--decay", "1000", "--shingle", "2", "--seed", "9")
	if err != nil {
		t.Fatalf("riffle rcf --explain: %v", err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f, err := rcf.New(rcf.Config{Dimensions: 1, Trees: 20, SampleSize: 64, TimeDecay: 1000, Shingle: 2, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows[1:] {
		v, _ := strconv.ParseFloat(row[1], 64)
		e, err := f.UpdateExplained([]float64{v})
		if err != nil {
			t.Fatal(err)
		}
		if row[3] != strconv.FormatFloat(e.Score, 'g', -1, 64) {
			t.Fatalf("row %d: CLI score %s, library %v", i, row[3], e.Score)
		}
		var parsed map[string]map[string]string
		if err := json.Unmarshal([]byte(row[4]), &parsed); err != nil {
			t.Fatalf("row %d explanation %q: %v", i, row[4], err)
		}
		if got := parsed["load"]["ATTRIBUTION_SCORE"]; got != strconv.FormatFloat(e.Score, 'f', 4, 64) {
			t.Fatalf("row %d: attribution %s for score %v", i, got, e.Score)
		}
	}
}

func TestRCFCommandErrors(t *testing.T) {
	path := writeSeries(t, 10, -1, -1)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rcf", "--csv", path, "--column", "nope"}, `no column "nope" in the CSV header (columns: timestamp, load, label)`},
		{[]string{"rcf", "--csv", path, "--trees", "0"}, "numberOfTrees is 0, must be between 1 and 1000"},
		{[]string{"rcf", "--csv", path, "--sample", "500", "--decay", "400"}, "subSampleSize (500) must be less than timeDecay (400)"},
		{[]string{"rcf", "--csv", filepath.Join(t.TempDir(), "missing.csv")}, "no such file"},
		{[]string{"rcf"}, `required flag(s) "csv" not set`},
	} {
		_, _, err := runRiffle(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("riffle %v: %v, want an error saying %q", c.args, err, c.want)
		}
	}
	// A column that is not numeric leaves every score empty and says why,
	// row by row, without losing a row.
	out, errOut, err := runRiffle(t, "rcf", "--csv", path, "--column", "label")
	if err != nil || strings.Count(errOut, `column "label": "x" is not a number`) != 10 || strings.Count(out, ",x,\n") != 10 {
		t.Errorf("scoring a text column: err %v, stderr %q, stdout %q", err, errOut, out)
	}
}
