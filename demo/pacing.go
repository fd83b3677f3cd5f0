package demo

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/riffle-sql/riffle/generator"
)

// LateTolerance is how far behind its time (application time) a record
// may go without changing the windows: the lab's records sit in the
// middle of their seconds, so one half a second late may fall into the
// next second, and the last second's into the next window.
const LateTolerance = 500 * time.Millisecond

// pacing watches whether the machine keeps the accelerated clock: how far
// behind its time, on the application's clock, each batch of the
// generator's is stored. A busy machine sends late, and late records
// land in later windows: false alarms that are the machine's, not the
// traffic's. It says so once, as soon as it happens.
type pacing struct {
	speed   float64
	out     io.Writer
	clock   clockwork.Clock
	appTime func(wall time.Time) time.Time

	mu    sync.Mutex
	worst time.Duration
	said  bool
}

// observe notes a batch sent at the application time sent whose first
// record's time was at, and warns the first time one is too late.
func (p *pacing) observe(at, sent time.Time) {
	late := sent.Sub(at)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.worst = max(p.worst, late)
	if !p.said && late > LateTolerance {
		p.said = true
		fmt.Fprintf(p.out, "warning: %s\n", behindMessage(late, p.speed))
	}
}

func (p *pacing) worstLate() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.worst
}

// behindMessage says that the machine did not keep the clock at speed,
// a record going late behind its time, and which speed to try: the
// fastest of speed halved that would have kept it within LateTolerance.
// "" when late is within it.
func behindMessage(late time.Duration, speed float64) string {
	if late <= LateTolerance {
		return ""
	}
	try := speed
	// The same delay in wall time is late*try/speed on the clock of try.
	for try > 1 && time.Duration(float64(late)*try/speed) > LateTolerance {
		try /= 2
	}
	if try < 1 {
		try = 1
	}
	advice := fmt.Sprintf("try a lower --speed, e.g. --speed %g", try)
	if try >= speed { // already at real time
		advice = "it is too busy even in real time: run the demo when it is less busy"
	}
	return fmt.Sprintf("this machine cannot keep the clock at --speed %g: records were stored up to %s (application time) after their time, so windows may be miscounted and anomalies not the traffic's; %s",
		speed, late.Round(10*time.Millisecond), advice)
}

// pacedTarget is the generator's target, its sends timed by a pacing.
type pacedTarget struct {
	generator.Target
	pace *pacing
}

// Put times the batch when it is stored (acknowledged): its records'
// arrival times are before that, and a slow store delays them as much as
// a late send.
func (t *pacedTarget) Put(ctx context.Context, recs []generator.Record) ([]bool, error) {
	failed, err := t.Target.Put(ctx, recs)
	if err == nil && len(recs) > 0 {
		first := recs[0].At
		for _, r := range recs[1:] {
			if r.At.Before(first) {
				first = r.At
			}
		}
		t.pace.observe(first, t.pace.appTime(t.pace.clock.Now()))
	}
	return failed, err
}

// syncWriter serialises writes from several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
