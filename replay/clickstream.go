package replay

import (
	"fmt"
	"io"
	"time"
)

// WriteClickstream writes a deterministic replay of clickstream traffic:
// n records, alternating impressions and clicks, rate records per second
// of simulated time from start, with a burst of extra clicks (four per
// impression) in every 60th ten-second window, one each simulated ten
// minutes. Benchmarks and tools use it to make replays of any size.
func WriteClickstream(w io.Writer, n int, rate int, start time.Time) error {
	step := time.Second / time.Duration(rate)
	buf := make([]byte, 0, 160)
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * step)
		action := "Impression"
		window := at.Sub(start) / (10 * time.Second)
		if i%2 == 1 || window%60 == 59 && i%5 != 0 {
			action = "Click"
		}
		buf = append(buf[:0], `{"arrival":"`...)
		buf = at.UTC().AppendFormat(buf, "2006-01-02T15:04:05.000Z")
		buf = append(buf, `","data":{"browseraction":"`...)
		buf = append(buf, action...)
		buf = append(buf, `","site":"yourwebsiteurl.domain.com"}}`+"\n"...)
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("write replay: %w", err)
		}
	}
	return nil
}
