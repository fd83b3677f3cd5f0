package parser_test

import (
	"strings"
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

// TestALongChainParsesAndPrints: a chain of 1,000,000 terms (2 MB, beyond
// any application's code) parses and prints as its canonical SQL, each
// step a loop over the terms: printing it recursed per term and overflowed
// the stack. (The canonical SQL of a chain of more than 1,000 terms nests
// its parentheses deeper than the parser reads back.)
func TestALongChainParsesAndPrints(t *testing.T) {
	const terms = 1_000_000
	src := `CREATE PUMP "P" AS INSERT INTO "O" SELECT STREAM 1` + strings.Repeat(" + 1", terms-1) + ` FROM "S";`
	script, err := parser.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	out := script.String()
	if want := strings.Repeat("(", terms-1) + "1" + strings.Repeat(" + 1)", terms-1); !strings.Contains(out, want) {
		t.Fatalf("the chain prints as %.80s…", out)
	}
}
