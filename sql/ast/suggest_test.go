package ast

import "testing"

func TestClosest(t *testing.T) {
	funcs := []string{"ABS", "FLOOR", "MOD", "LN", "UPPER", "W3C_LOG_PARSE", "REGEX_LOG_PARSE", "SUBSTRING"}
	for _, c := range []struct {
		name, want string
	}{
		{"FOO", "FLOOR"},                    // two edits; FLOOR keeps the F (MOD is two edits too)
		{"FLOR", "FLOOR"},                   // one deletion
		{"UPEPR", "UPPER"},                  // two letters swapped: one edit
		{"upper", "UPPER"},                  // case alone
		{"W3C_LOG_PARSER", "W3C_LOG_PARSE"}, // one letter too many
		{"SUBSTR", "SUBSTRING"},             // three of nine: within a third of a long name
		{"X", ""},                           // never a rewrite of the whole name
		{"QQQQQ", ""},                       // nothing near
		{"REGEXP_LOG_PARSE", "REGEX_LOG_PARSE"},
	} {
		got, ok := Closest(c.name, funcs)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Closest(%q) = %q, %v; want %q", c.name, got, ok, c.want)
		}
	}
	if got, _ := Closest("tiker", []string{"ticker", "price", "ROWTIME"}); got != "ticker" {
		t.Errorf("Closest(tiker) = %q, want ticker", got)
	}
}
