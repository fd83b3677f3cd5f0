package rcf

import (
	"errors"
	"fmt"
	"math"
)

// The service's defaults and limits for RANDOM_CUT_FOREST's parameters.
const (
	DefaultTrees      = 100
	DefaultSampleSize = 256
	DefaultTimeDecay  = 100000
	DefaultShingle    = 1

	MinTrees, MaxTrees           = 1, 1000
	MinSampleSize, MaxSampleSize = 10, 1000
	MinTimeDecay, MaxTimeDecay   = 1, math.MaxInt32
	MinShingle, MaxShingle       = 1, 30
	MaxDimensions                = 30
)

// Config describes a forest. New takes the values as given (a zero is out
// of range, as in the service); WithDefaults fills in the service's
// defaults first.
type Config struct {
	// Trees is numberOfTrees: how many trees; the score is their mean.
	Trees int
	// SampleSize is subSampleSize: points kept per tree. It must be less
	// than TimeDecay.
	SampleSize int
	// TimeDecay is timeDecay: roughly how many recent points matter. The
	// sampler's decay rate is 1/TimeDecay.
	TimeDecay int64
	// Shingle is shingleSize: how many consecutive records form one point.
	Shingle int
	// Dimensions is the number of numeric values in each record (1 to 30).
	Dimensions int
	// Seed makes a forest reproducible: the same seed and input give the
	// same scores, bit for bit.
	Seed uint64
	// Workers > 1 spreads the trees over that many goroutines (at most one
	// per tree) for each record. It changes speed only, never results.
	// Worth it only for large forests on idle cores.
	Workers int
}

// ErrConfig marks an invalid configuration; errors.Is tells it apart.
var ErrConfig = errors.New("invalid random cut forest configuration")

// WithDefaults returns c with each zero parameter set to the service's
// default.
func (c Config) WithDefaults() Config {
	if c.Trees == 0 {
		c.Trees = DefaultTrees
	}
	if c.SampleSize == 0 {
		c.SampleSize = DefaultSampleSize
	}
	if c.TimeDecay == 0 {
		c.TimeDecay = DefaultTimeDecay
	}
	if c.Shingle == 0 {
		c.Shingle = DefaultShingle
	}
	return c
}

// validate reports every parameter outside the service's ranges, in the
// service's own parameter names.
func (c Config) validate() error {
	var errs []error
	check := func(name string, v, lo, hi int64) {
		if v < lo || v > hi {
			errs = append(errs, fmt.Errorf("%w: %s is %d, must be between %d and %d", ErrConfig, name, v, lo, hi))
		}
	}
	check("numberOfTrees", int64(c.Trees), MinTrees, MaxTrees)
	check("subSampleSize", int64(c.SampleSize), MinSampleSize, MaxSampleSize)
	check("timeDecay", c.TimeDecay, MinTimeDecay, MaxTimeDecay)
	check("shingleSize", int64(c.Shingle), MinShingle, MaxShingle)
	check("number of numeric columns", int64(c.Dimensions), 1, MaxDimensions)
	if c.TimeDecay >= MinTimeDecay && int64(c.SampleSize) >= c.TimeDecay {
		errs = append(errs, fmt.Errorf("%w: subSampleSize (%d) must be less than timeDecay (%d)", ErrConfig, c.SampleSize, c.TimeDecay))
	}
	return errors.Join(errs...)
}

// Checked is the configuration as New takes it (Workers between 1 and
// Trees), or the errors New would report, without making the forest (which
// may take gigabytes).
func (c Config) Checked() (Config, error) {
	c.Workers = clampWorkers(c.Workers, c.Trees)
	return c, c.validate()
}

// Bytes is the memory a forest of this configuration holds: New makes all
// of it at once (trees sized for a full sample), so it does not grow with
// the records. The largest the service's ranges allow (1,000 trees of
// 1,000 points of 30 columns shingled 30 times) holds about 10 GiB.
func (c Config) Bytes() int64 {
	dims, capacity, trees := int64(c.Dimensions*c.Shingle), int64(c.SampleSize), int64(c.Trees)
	const (
		nodeBytes = 12 // node
		treeBytes = 200
	)
	perTree := treeBytes +
		(capacity-1)*(nodeBytes+2*dims*4+8+4) + // nodes, box, span, freeNodes
		capacity*(dims*4+4+4+4) + // leafPoint, leafMass, freeLeaves, path
		capacity*(8+4) // the sampler's keys and leaves
	perForest := trees*(perTree+3*dims*8+8) + // the trees' scores and explanations' bounds
		capacity*16 + dims*4 + 600 // log2 and unseen tables, shingle, the rest
	return perForest
}
