// Package rcf is a streaming random cut forest that scores like Amazon
// Kinesis Data Analytics' RANDOM_CUT_FOREST and explains like
// RANDOM_CUT_FOREST_WITH_EXPLANATION.
//
// A Forest takes one record at a time (Update or UpdateExplained): it
// scores the record against the trees as they stand, then offers it to each
// tree's time-decayed sampler. It follows the service where the service is
// deterministic: score 0 for the first SampleSize points, the seen-point
// score 1/(depth + log2 mass) without damping, normalisation by log2 of the
// tree's mass, so that a constant series scores 8/257 and the highest
// possible score is log2(SampleSize).
//
// The same Config (seed included) and records give the same scores, bit for
// bit, on any machine; MarshalBinary and Restore carry a forest across a
// restart without changing what it will output.
//
// STRENGTH, in explanations, is Riffle's own definition, because the
// service does not publish its formula: for each column, |high - low| over
// that column's mean attribution on earlier records (see strengthState).
// It behaves as the service documents (0 while learning, small for ordinary
// rows, large for a clear outlier) but its values are not the service's.
//
// The package knows nothing of SQL and uses only the standard library.
// docs/rcf.md in the repository has the measured fidelity and speed.
package rcf
