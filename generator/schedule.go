package generator

import (
	"math"
	"math/rand/v2"
	"time"
)

// Sender is one stream of records: a template sent at a rate, from a start
// offset, for a duration or a count, once or every so often.
type Sender struct {
	Name     string        `yaml:"name"`
	Template string        `yaml:"template"`      // the KDG template text
	File     string        `yaml:"template_file"` // or a file holding it
	Rate     float64       `yaml:"rate"`          // records per second; 0: as fast as the target takes them
	Spread   float64       `yaml:"spread"`        // standard deviation of the records in each second
	Start    time.Duration `yaml:"start"`         // from the scenario's start
	Duration time.Duration `yaml:"duration"`      // of one run; 0: until the scenario ends
	Count    int           `yaml:"count"`         // records in one run; 0: no limit
	Every    time.Duration `yaml:"every"`         // runs start this often; 0: one run
}

// schedule yields a sender's send times, as offsets from the scenario's
// start, in order. Records sit in the middle of their slot (record k of a
// 1/s sender at k+0.5 s), so they stay clear of window boundaries on whole
// seconds however the clock jitters.
type schedule struct {
	s   Sender
	end time.Duration // the scenario's end; 0: none
	rng *rand.Rand    // for the spread
	run int           // the current run
	k   int           // records of this run so far
	// With a spread: the second of the run, its count, the records of it
	// so far, and the fraction carried to the next second (so a low rate
	// keeps its mean).
	sec     int
	nSec    int
	iSec    int
	carry   float64
	started bool
}

func newSchedule(s Sender, end time.Duration, seed uint64) *schedule {
	return &schedule{s: s, end: end, rng: rand.New(rand.NewPCG(seed, 0x5eed))}
}

// next is the offset of the next record, or false when the sender is done.
func (sc *schedule) next() (time.Duration, bool) {
	for {
		start := sc.s.Start + time.Duration(sc.run)*sc.s.Every
		if sc.end > 0 && start >= sc.end || sc.run > 0 && sc.s.Every <= 0 {
			return 0, false
		}
		limit := time.Duration(0) // how long this run may last before the scenario ends
		if sc.end > 0 {
			limit = sc.end - start
		}
		at, ok := sc.inRun(limit)
		if ok {
			at += start
			if sc.end == 0 || at < sc.end {
				return at, true
			}
		}
		// This run is over: the next one, if the sender repeats.
		if sc.s.Every <= 0 {
			return 0, false
		}
		sc.run++
		sc.k, sc.sec, sc.nSec, sc.iSec, sc.carry, sc.started = 0, 0, 0, 0, 0, false
	}
}

// inRun is the next offset within the current run.
func (sc *schedule) inRun(limit time.Duration) (time.Duration, bool) {
	if sc.s.Count > 0 && sc.k >= sc.s.Count {
		return 0, false
	}
	var at time.Duration
	switch {
	case sc.s.Rate <= 0: // as fast as possible: everything is due at once
		at = 0
	case sc.s.Spread <= 0:
		at = time.Duration((float64(sc.k) + 0.5) / sc.s.Rate * float64(time.Second))
	default:
		// Each second draws its count from a Gaussian around the rate, and
		// spreads those records evenly over the second.
		for sc.iSec >= sc.nSec {
			if sc.started {
				sc.sec++
			}
			sc.started = true
			next := time.Duration(sc.sec) * time.Second
			if d := sc.s.Duration; d > 0 && next >= d || limit > 0 && next >= limit {
				return 0, false
			}
			x := max(0, sc.s.Rate+sc.s.Spread*sc.rng.NormFloat64()) + sc.carry
			sc.nSec = int(math.Floor(x))
			sc.carry = x - float64(sc.nSec)
			sc.iSec = 0
		}
		at = time.Duration(sc.sec)*time.Second + time.Duration((float64(sc.iSec)+0.5)/float64(sc.nSec)*float64(time.Second))
		sc.iSec++
	}
	if d := sc.s.Duration; d > 0 && at >= d {
		return 0, false
	}
	sc.k++
	return at, true
}
