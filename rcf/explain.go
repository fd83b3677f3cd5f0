package rcf

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Direction values of an explanation, as the service writes them.
const (
	High = "HIGH"
	Low  = "LOW"
)

// An Explanation splits one record's anomaly score across its columns.
type Explanation struct {
	Score float64
	// High and Low hold the score's parts per point dimension (the record's
	// columns, repeated for each shingled record, oldest first) for values
	// above and below what the forest has seen. They sum to Score.
	High, Low []float64
	// Columns folds High and Low per record column.
	Columns []ColumnExplanation
}

// ColumnExplanation is one column's part of the score.
type ColumnExplanation struct {
	// Attribution is the column's share of the score (ATTRIBUTION_SCORE);
	// the shares of all columns add up to the score.
	Attribution float64
	// High and Low split Attribution by direction.
	High, Low float64
	// Direction is HIGH when the column pushes the score up by being high,
	// LOW otherwise (and during warm-up).
	Direction string
	// Strength is how one-sided the column's attribution is, relative to
	// the column's usual attribution (see strengthState).
	Strength float64
}

func newExplanation(dims, columns int) Explanation {
	e := Explanation{
		High:    make([]float64, dims),
		Low:     make([]float64, dims),
		Columns: make([]ColumnExplanation, columns),
	}
	for i := range e.Columns {
		e.Columns[i].Direction = Low
	}
	return e
}

// strengthState holds what STRENGTH needs from past records.
//
// The service does not publish STRENGTH's formula; it documents a
// non-negative "confidence in the direction", 0 during learning, small
// (0.02-0.10) for ordinary rows and large (7.1 in its example) for a clear
// outlier. Riffle's STRENGTH for a column is
//
//	|high - low| / mean attribution of that column over earlier records
//
// where the mean is decayed like the forest's sampler (weight
// max(1/n, 1/timeDecay)), and the current record's own attribution stands
// in for the mean on the first scored record. It is an approximation of
// the service's figure, not a reproduction.
type strengthState struct {
	mean  []float64
	count int64
}

func (s *strengthState) explain(e *Explanation, columns int, lambda float64) {
	for d := range e.High {
		c := &e.Columns[d%columns]
		c.High += e.High[d]
		c.Low += e.Low[d]
	}
	s.count++
	weight := max(1/float64(s.count), lambda)
	for i := range e.Columns {
		c := &e.Columns[i]
		c.Attribution = c.High + c.Low
		if c.High > c.Low {
			c.Direction = High
		}
		mean := s.mean[i]
		if s.count == 1 {
			mean = c.Attribution
		}
		if mean > 0 {
			c.Strength = math.Abs(c.High-c.Low) / mean
		}
		s.mean[i] += weight * (c.Attribution - s.mean[i])
	}
}

// JSON renders the explanation as the service's ANOMALY_EXPLANATION: an
// object keyed by column name in column order, numbers as strings with
// four decimals. withDirectionality adds DIRECTION and STRENGTH.
func (e Explanation) JSON(columnNames []string, withDirectionality bool) (string, error) {
	if len(columnNames) != len(e.Columns) {
		return "", fmt.Errorf("explanation has %d columns, %d names given", len(e.Columns), len(columnNames))
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range e.Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(columnNames[i])
		if err != nil {
			return "", fmt.Errorf("column name %q: %w", columnNames[i], err)
		}
		b.Write(name)
		b.WriteString(`:{`)
		if withDirectionality {
			fmt.Fprintf(&b, `"DIRECTION":"%s","STRENGTH":"%s",`, c.Direction, fixed4(c.Strength))
		}
		fmt.Fprintf(&b, `"ATTRIBUTION_SCORE":"%s"}`, fixed4(c.Attribution))
	}
	b.WriteByte('}')
	return b.String(), nil
}

func fixed4(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
