package ast

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem at a position in the source, from parsing or
// planning.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is every error found in a script, in source order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// WithFile renders the errors as file:line:column: message lines, the form
// editors and terminals link to.
func (l ErrorList) WithFile(file string) string {
	var b strings.Builder
	for _, e := range l {
		fmt.Fprintf(&b, "%s:%s: %s\n", file, e.Pos, e.Msg)
	}
	return b.String()
}

// Sorted orders the errors by position and drops exact repeats.
func (l ErrorList) Sorted() ErrorList {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	out := l[:0]
	for i, e := range l {
		if i > 0 && e.Pos == l[i-1].Pos && e.Msg == l[i-1].Msg {
			continue
		}
		out = append(out, e)
	}
	return out
}
