package runner

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/internal/datadriven"
	"github.com/riffle-sql/riffle/record"
)

// TestGolden runs the cases in testdata/*.txt. A case is
//
//	run [stream=NAME]... [seed=N]
//	<SQL>
//	==== records
//	<HH:MM:SS.mmm on 2026-11-01, or an RFC 3339 time> <record>
//	[==== schema
//	<SourceSchema JSON>]
//	[==== table NAME
//	<one JSON object a line: a reference table's rows>]...
//	----
//	<the JSON lines riffle run prints, or the errors>
func TestGolden(t *testing.T) {
	datadriven.Walk(t, "testdata/*.txt", func(t *testing.T, c *datadriven.Case) string {
		if c.Cmd != "run" {
			t.Fatalf("%s: unknown command %q", c.Pos, c.Cmd)
		}
		opts := Options{Application: "golden"}
		for _, arg := range c.Args {
			k, v, _ := strings.Cut(arg, "=")
			switch k {
			case "stream":
				opts.Streams = append(opts.Streams, v)
			case "seed":
				fmt.Sscan(v, &opts.Seed)
			case "table":
				// table=NAME: the case's "==== table NAME" section holds its rows.
			default:
				t.Fatalf("%s: unknown argument %q", c.Pos, arg)
			}
		}
		input := c.Input
		for {
			before, after, ok := strings.Cut(input, "==== table ")
			if !ok {
				break
			}
			name, rest, _ := strings.Cut(after, "\n")
			rows, remaining, _ := strings.Cut(rest, "==== ")
			tb, err := compile.LoadTable(name, strings.NewReader(rows))
			if err != nil {
				t.Fatalf("%s: %v", c.Pos, err)
			}
			opts.Tables = append(opts.Tables, tb)
			if remaining != "" {
				remaining = "==== " + remaining
			}
			input = before + remaining
		}
		sql, rest, _ := strings.Cut(input, "==== records\n")
		records, schemaText, hasSchema := strings.Cut(rest, "==== schema\n")
		opts.SQL = sql
		if hasSchema {
			s, err := record.ParseSchema([]byte(schemaText))
			if err != nil {
				t.Fatalf("%s: %v", c.Pos, err)
			}
			opts.Schema = &s
		}
		replayText, err := toReplay(records)
		if err != nil {
			t.Fatalf("%s: %v", c.Pos, err)
		}
		var out bytes.Buffer
		if err := Run(opts, strings.NewReader(replayText), &out); err != nil {
			return "error:\n" + err.Error()
		}
		// Determinism: a second run prints the same bytes.
		var again bytes.Buffer
		if err := Run(opts, strings.NewReader(replayText), &again); err != nil || again.String() != out.String() {
			t.Errorf("%s: a second run printed something else", c.Pos)
		}
		return out.String()
	})
}

// toReplay turns "TIME RECORD" lines into replay lines.
func toReplay(lines string) (string, error) {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(lines), "\n") {
		if line == "" {
			continue
		}
		at, data, ok := strings.Cut(line, " ")
		if !ok {
			return "", fmt.Errorf("record line %q: want TIME RECORD", line)
		}
		if !strings.Contains(at, "T") {
			at = "2026-11-01T" + at + "Z"
		}
		if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
			return "", fmt.Errorf("record line %q: %v", line, err)
		}
		if !strings.HasPrefix(data, "{") {
			data = fmt.Sprintf("%q", data)
		}
		fmt.Fprintf(&b, `{"arrival":%q,"data":%s}`+"\n", at, data)
	}
	return b.String(), nil
}
