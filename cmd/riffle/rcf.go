package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/rcf"
)

type rcfOptions struct {
	csvPath string
	columns []string
	config  rcf.Config
	explain bool
}

func newRCFCommand() *cobra.Command {
	var o rcfOptions
	cmd := &cobra.Command{
		Use:   "rcf --csv FILE [--column NAME]...",
		Short: "Score a CSV file with RANDOM_CUT_FOREST",
		Long: `Scores the numeric columns of a CSV file (first line: column names) the way
RANDOM_CUT_FOREST(CURSOR(...), trees, sample, decay, shingle) does, record by
record, and prints the file again with ANOMALY_SCORE appended (and
ANOMALY_EXPLANATION with --explain). The first --sample records score 0
while the forest learns. A row whose value is not a number keeps its place
with an empty score and is reported on standard error.`,
		Example: `  riffle rcf --csv nyc_taxi.csv --column value
  riffle rcf --csv vitals.csv --column Systolic --column Diastolic --explain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := io.Reader(cmd.InOrStdin())
			if o.csvPath != "-" {
				f, err := os.Open(o.csvPath)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			return scoreCSV(in, cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.csvPath, "csv", "", "CSV file to score (- for standard input)")
	fl.StringSliceVar(&o.columns, "column", nil, "numeric column to score, repeatable (default: every column whose first value is a number)")
	fl.IntVar(&o.config.Trees, "trees", rcf.DefaultTrees, "numberOfTrees")
	fl.IntVar(&o.config.SampleSize, "sample", rcf.DefaultSampleSize, "subSampleSize")
	fl.Int64Var(&o.config.TimeDecay, "decay", rcf.DefaultTimeDecay, "timeDecay")
	fl.IntVar(&o.config.Shingle, "shingle", rcf.DefaultShingle, "shingleSize")
	fl.Uint64Var(&o.config.Seed, "seed", 42, "random seed; the same seed and file give the same scores")
	fl.IntVar(&o.config.Workers, "workers", 1, "goroutines sharing the trees of each record")
	fl.BoolVar(&o.explain, "explain", false, "add ANOMALY_EXPLANATION (RANDOM_CUT_FOREST_WITH_EXPLANATION with directionality)")
	_ = cmd.MarkFlagRequired("csv")
	return cmd
}

// scoreCSV streams in to out, appending the score columns to each row.
func scoreCSV(in io.Reader, out, diag io.Writer, o rcfOptions) error {
	r := csv.NewReader(in)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("read CSV header: %w", err)
	}
	header = slices.Clone(header)
	first, err := r.Read()
	if err == io.EOF {
		first = nil
	} else if err != nil {
		return fmt.Errorf("read CSV: %w", err)
	}
	indexes, err := pickColumns(header, first, o.columns)
	if err != nil {
		return err
	}
	cfg := o.config
	cfg.Dimensions = len(indexes)
	forest, err := rcf.New(cfg)
	if err != nil {
		return err
	}
	names := make([]string, len(indexes))
	for i, c := range indexes {
		names[i] = header[c]
	}

	w := csv.NewWriter(out)
	outHeader := append(slices.Clone(header), "ANOMALY_SCORE")
	if o.explain {
		outHeader = append(outHeader, "ANOMALY_EXPLANATION")
	}
	if err := w.Write(outHeader); err != nil {
		return err
	}
	values := make([]float64, len(indexes))
	bad := 0
	for line, row := 2, first; row != nil; line++ {
		extra, err := scoreRow(forest, row, indexes, names, values, o.explain)
		if err != nil {
			bad++
			fmt.Fprintf(diag, "line %d: %v\n", line, err)
			extra = make([]string, len(outHeader)-len(header))
		}
		if err := w.Write(append(row, extra...)); err != nil {
			return err
		}
		row, err = r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read CSV: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if bad > 0 {
		fmt.Fprintf(diag, "%d rows were not scored\n", bad)
	}
	return nil
}

func scoreRow(forest *rcf.Forest, row []string, indexes []int, names []string, values []float64, explain bool) ([]string, error) {
	for i, c := range indexes {
		if c >= len(row) {
			return nil, fmt.Errorf("row has no column %q", names[i])
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(row[c]), 64)
		if err != nil {
			return nil, fmt.Errorf("column %q: %q is not a number", names[i], row[c])
		}
		values[i] = v
	}
	if !explain {
		s, err := forest.Update(values)
		if err != nil {
			return nil, err
		}
		return []string{strconv.FormatFloat(s, 'g', -1, 64)}, nil
	}
	e, err := forest.UpdateExplained(values)
	if err != nil {
		return nil, err
	}
	js, err := e.JSON(names, true)
	if err != nil {
		return nil, err
	}
	return []string{strconv.FormatFloat(e.Score, 'g', -1, 64), js}, nil
}

// pickColumns resolves the requested column names, or finds the numeric
// columns of the first row when none are named.
func pickColumns(header, first []string, wanted []string) ([]int, error) {
	var indexes []int
	if len(wanted) == 0 {
		for i := range header {
			if i < len(first) {
				if _, err := strconv.ParseFloat(strings.TrimSpace(first[i]), 64); err == nil {
					indexes = append(indexes, i)
				}
			}
		}
		if len(indexes) == 0 {
			return nil, errors.New("no numeric column found in the first row; name one with --column")
		}
		return indexes, nil
	}
	for _, name := range wanted {
		i := slices.Index(header, name)
		if i < 0 {
			return nil, fmt.Errorf("no column %q in the CSV header (columns: %s)", name, strings.Join(header, ", "))
		}
		indexes = append(indexes, i)
	}
	return indexes, nil
}
