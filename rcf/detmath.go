package rcf

import "math"

// Go's math.Log has an assembly version on amd64 and the compiler may fuse
// a*b+c into one FMA instruction on other architectures, so math.Log can
// differ in the last bit from machine to machine. The forest promises the
// same scores bit for bit everywhere, so every logarithm it takes goes
// through detLog: the fdlibm algorithm, with each product rounded explicitly
// (an explicit float64 conversion forbids fusing, per the Go spec).

const (
	ln2Hi = 6.93147180369123816490e-01
	ln2Lo = 1.90821492927058770002e-10
	lg1   = 6.666666666666735130e-01
	lg2   = 3.999999999940941908e-01
	lg3   = 2.857142874366239149e-01
	lg4   = 2.222219843214978396e-01
	lg5   = 1.818357216161805012e-01
	lg6   = 1.531383769920937332e-01
	lg7   = 1.479819860511658591e-01
)

// detLog is the natural logarithm, reproducible across architectures.
func detLog(x float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 1):
		return x
	case x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	}
	f1, ki := math.Frexp(x)
	if f1 < math.Sqrt2/2 {
		f1 *= 2
		ki--
	}
	f := f1 - 1
	k := float64(ki)
	s := f / (2 + f)
	s2 := float64(s * s)
	s4 := float64(s2 * s2)
	t1 := float64(s2 * (lg1 + float64(s4*(lg3+float64(s4*(lg5+float64(s4*lg7)))))))
	t2 := float64(s4 * (lg2 + float64(s4*(lg4+float64(s4*lg6)))))
	r := t1 + t2
	hfsq := float64(float64(0.5*f) * f)
	return float64(k*ln2Hi) - ((hfsq - (float64(s*(hfsq+r)) + float64(k*ln2Lo))) - f)
}

// detLog2 is log base 2, exact for powers of two (log2(256) is exactly 8,
// which the service's constant-series score 8/257 depends on).
func detLog2(x float64) float64 {
	frac, exp := math.Frexp(x)
	if frac == 0.5 {
		return float64(exp - 1)
	}
	return float64(detLog(frac)*(1/math.Ln2)) + float64(exp)
}
