package parser_test

import (
	"testing"

	"github.com/riffle-sql/riffle/internal/datadriven"
	"github.com/riffle-sql/riffle/sql/parser"
)

// TestParse runs the cases in testdata/*.txt:
//
//	parse   a script -> the canonical SQL of each statement, or the errors
//	expr    one expression -> its canonical SQL (fully parenthesised)
//
// Every successful parse is also printed and parsed again: the canonical
// SQL must read back as the same tree.
func TestParse(t *testing.T) {
	datadriven.Walk(t, "testdata/*.txt", func(t *testing.T, c *datadriven.Case) string {
		switch c.Cmd {
		case "parse":
			script, err := parser.Parse(c.Input)
			if err != nil {
				return "error:\n" + err.Error()
			}
			out := script.String()
			again, err := parser.Parse(out)
			if err != nil || again.String() != out {
				t.Errorf("%s: canonical SQL does not read back the same:\n%s\n%v", c.Pos, out, err)
			}
			return out
		case "expr":
			e, err := parser.ParseExpr(c.Input)
			if err != nil {
				return "error:\n" + err.Error()
			}
			out := e.String()
			again, err := parser.ParseExpr(out)
			if err != nil || again.String() != out {
				t.Errorf("%s: canonical SQL does not read back the same:\n%s\n%v", c.Pos, out, err)
			}
			return out
		}
		t.Fatalf("%s: unknown command %q", c.Pos, c.Cmd)
		return ""
	})
}
