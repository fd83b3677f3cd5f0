package ast

import "strings"

// Closest finds the candidate nearest to a misspelt name, comparing
// without regard to case (so that "ticker" is offered for TICKER): the
// fewest single-character edits (insert, delete, replace, swap two
// neighbours), then the longest common prefix, then the first in
// alphabetical order. ok is false when nothing is near enough: within two
// edits, or a third of the longer name for long names, and never a
// rewrite of the whole name.
func Closest(name string, candidates []string) (best string, ok bool) {
	n := strings.ToUpper(name)
	bestDist, bestPrefix := 0, 0
	for _, c := range candidates {
		u := strings.ToUpper(c)
		d := editDistance(n, u)
		limit := max(2, max(len([]rune(n)), len([]rune(u)))/3)
		if d > limit || d >= len([]rune(n)) && d > 0 {
			continue
		}
		p := commonPrefix(n, u)
		if !ok || d < bestDist || d == bestDist && (p > bestPrefix || p == bestPrefix && c < best) {
			best, bestDist, bestPrefix, ok = c, d, p, true
		}
	}
	return best, ok
}

// editDistance is the optimal string alignment distance between a and b,
// in characters.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	// d[i][j] is the distance between x[:i] and y[:j].
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
