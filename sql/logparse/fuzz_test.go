package logparse

import (
	"testing"

	"github.com/riffle-sql/riffle/sql/types"
)

// FuzzPrepare: no pattern, format or column list panics a call, when it
// is prepared or when it parses a line.
//
//	go test -fuzz FuzzPrepare -fuzztime 60s ./sql/logparse
func FuzzPrepare(f *testing.F) {
	for _, s := range []string{`(.*)_(._.*)_.*`, `(<1-99>)"x"@#()`, `[^a-]\(`, `%h %{X}i [%t] \"%r\" %>s`, "COMMON",
		`a TYPE VARCHAR(3) START 0 FOR 2, "b" TYPE TIMESTAMP 'yyyy' NOT NULL START 1`, `(\w+)(?i:x)\p{L}`, `{`, `((a)`} {
		f.Add(s, "Mary_had a [little] \"lamb\" 12")
	}
	f.Fuzz(func(t *testing.T, arg, line string) {
		for name, fn := range registry {
			consts := []types.Value{types.Str(types.Varchar, arg), types.Str(types.Varchar, ","), types.Str(types.Varchar, `\`), types.Str(types.Varchar, `"`)}
			args := []Arg{{Type: types.Type{Kind: types.Varchar, Length: 100}}}
			for i := 1; i < fn.MaxArgs && i-1 < len(consts); i++ {
				args = append(args, Arg{Type: types.Type{Kind: types.Varchar, Length: 10}, Const: &consts[i-1]})
			}
			call, err := fn.Prepare(args)
			if err != nil {
				continue
			}
			vals := []types.Value{types.Str(types.Varchar, line)}
			for _, a := range args[1:] {
				vals = append(vals, *a.Const)
			}
			out := make([]types.Value, len(call.Fields))
			_ = call.Parse(vals, out)
			_ = name
		}
	})
}
