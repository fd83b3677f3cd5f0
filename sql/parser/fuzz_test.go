package parser_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/sql/parser"
)

// FuzzParse: no input makes the parser panic, and whatever it accepts
// prints as SQL that reads back as the same tree.
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 1m ./sql/parser
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, chunk := range strings.Split(string(data), "\n----\n") {
			f.Add(chunk)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		script, err := parser.Parse(src)
		if err != nil {
			if _, ok := err.(parser.ErrorList); !ok {
				t.Fatalf("error of type %T, want ErrorList", err)
			}
			return
		}
		out := script.String()
		again, err := parser.Parse(out)
		if err != nil {
			t.Fatalf("canonical SQL does not parse: %v\n%s", err, out)
		}
		if again.String() != out {
			t.Fatalf("canonical SQL reads back differently:\n%s\n%s", out, again.String())
		}
	})
}
