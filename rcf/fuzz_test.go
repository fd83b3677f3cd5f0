package rcf_test

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/riffle-sql/riffle/rcf"
)

// FuzzUpdate feeds arbitrary values (NaN, infinities, huge and tiny
// numbers, records of the wrong length) to a small forest: nothing may
// panic, bad records must be errors, and every score must stay in range
// with attributions that add up.
//
//	go test -run '^$' -fuzz FuzzUpdate -fuzztime 1m ./rcf
func FuzzUpdate(f *testing.F) {
	f.Add(uint8(1), uint8(1), []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f})
	f.Add(uint8(2), uint8(3), binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.NaN())))
	f.Add(uint8(3), uint8(2), binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.Inf(-1))))
	f.Add(uint8(1), uint8(1), binary.LittleEndian.AppendUint64(nil, math.Float64bits(1e300)))
	f.Fuzz(func(t *testing.T, dims, shingle uint8, data []byte) {
		cfg := rcf.Config{Dimensions: int(dims%4) + 1, Shingle: int(shingle%3) + 1, Trees: 3, SampleSize: 10, TimeDecay: 20, Seed: 1}
		forest, err := rcf.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		limit := math.Log2(10) + 1e-9
		for step := 0; len(data) >= 8; step++ {
			// A length byte now and then makes a record of the wrong size.
			n := cfg.Dimensions
			if data[0]%7 == 0 {
				n = int(data[1]) % 5
				data = data[2:]
			}
			rec := make([]float64, 0, n)
			for len(rec) < n && len(data) >= 8 {
				v := math.Float64frombits(binary.LittleEndian.Uint64(data))
				data = data[8:]
				rec = append(rec, v)
			}
			valid := len(rec) == cfg.Dimensions
			for _, v := range rec {
				if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
					valid = false
				}
			}
			if step%2 == 0 {
				s, err := forest.Update(rec)
				checkResult(t, rec, valid, err, s, limit)
				continue
			}
			e, err := forest.UpdateExplained(rec)
			checkResult(t, rec, valid, err, e.Score, limit)
			sum := 0.0
			for _, c := range e.Columns {
				sum += c.Attribution
				if c.Strength < 0 || math.IsNaN(c.Strength) {
					t.Fatalf("record %v: strength %v", rec, c.Strength)
				}
			}
			if err == nil && math.Abs(sum-e.Score) > 1e-9*max(1, e.Score) {
				t.Fatalf("record %v: attributions %v, score %v", rec, sum, e.Score)
			}
		}
	})
}

func checkResult(t *testing.T, rec []float64, valid bool, err error, score, limit float64) {
	t.Helper()
	if valid && err != nil {
		t.Fatalf("record %v rejected: %v", rec, err)
	}
	if !valid && !errors.Is(err, rcf.ErrInput) {
		t.Fatalf("record %v: got %v, want ErrInput", rec, err)
	}
	if math.IsNaN(score) || score < 0 || score > limit {
		t.Fatalf("record %v scored %v, outside [0, %v]", rec, score, limit)
	}
}

// TestRestoreSurvivesEveryByteFlip damages saved state one byte at a time,
// everywhere: Restore must refuse it or give a forest that keeps working.
func TestRestoreSurvivesEveryByteFlip(t *testing.T) {
	saved := smallSavedForest(t)
	for at := range saved {
		for _, flip := range []byte{0x01, 0x10, 0x80, 0xff} {
			damaged := append([]byte(nil), saved...)
			damaged[at] ^= flip
			checkRestore(t, damaged)
		}
	}
}

func smallSavedForest(t testing.TB) []byte {
	forest, err := rcf.New(rcf.Config{Dimensions: 2, Shingle: 2, Trees: 2, SampleSize: 10, TimeDecay: 30, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		if _, err := forest.Update([]float64{float64(i % 5), float64(i % 3)}); err != nil {
			t.Fatal(err)
		}
	}
	saved, err := forest.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return saved
}

func checkRestore(t *testing.T, state []byte) {
	t.Helper()
	restored, err := rcf.Restore(state)
	if err != nil {
		if !errors.Is(err, rcf.ErrState) {
			t.Fatalf("Restore error %v is not ErrState", err)
		}
		return
	}
	for i := 0; i < 30; i++ {
		rec := make([]float64, restored.Config().Dimensions)
		rec[0] = float64(i)
		if _, err := restored.UpdateExplained(rec); err != nil {
			t.Fatalf("restored forest rejects a good record: %v", err)
		}
	}
}

// FuzzRestore damages saved state: Restore must refuse it or give a forest
// that works, never panic.
//
//	go test -run '^$' -fuzz FuzzRestore -fuzztime 1m ./rcf
func FuzzRestore(f *testing.F) {
	saved := smallSavedForest(f)
	f.Add(saved, uint16(0), byte(0))
	f.Add(saved, uint16(len(saved)/2), byte(0xff))
	f.Fuzz(func(t *testing.T, state []byte, at uint16, flip byte) {
		state = append([]byte(nil), state...)
		if len(state) > 0 {
			state[int(at)%len(state)] ^= flip
		}
		checkRestore(t, state)
	})
}
