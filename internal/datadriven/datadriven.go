// Package datadriven runs golden tests written as text files, in the
// spirit of CockroachDB's datadriven files. A file holds cases separated by
// blank lines; each case is a command line, its input, a "----" line and
// the expected output:
//
//	parse
//	CREATE STREAM s (a INT);
//	----
//	CREATE STREAM "S" ("A" INTEGER);
//
// Lines starting with # between cases are comments. Expected output may not
// contain blank lines. Run the tests with -rewrite to replace every
// expected output with the actual one; read the diff before committing it.
package datadriven

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of datadriven test files")

// Case is one test case of a file.
type Case struct {
	Pos      string // file:line of the command
	Cmd      string
	Args     []string // words after the command
	Input    string
	Expected string
}

// Walk runs fn on every case of every file matching pattern (a glob),
// failing the test on any difference, or rewriting the files with -rewrite.
func Walk(t *testing.T, pattern string, fn func(t *testing.T, c *Case) string) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files match %s (%v)", pattern, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { runFile(t, file, fn) })
	}
}

func runFile(t *testing.T, file string, fn func(t *testing.T, c *Case) string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cases, chunks, err := parseFile(file, string(data))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for i, c := range cases {
		out.WriteString(chunks[i])
		actual := strings.TrimRight(fn(t, c), "\n")
		if strings.Contains(actual, "\n\n") {
			t.Fatalf("%s: output contains a blank line, which this format cannot hold:\n%s", c.Pos, actual)
		}
		if actual != c.Expected && !*rewrite {
			t.Errorf("%s: %s\n%s\n got:\n%s\nwant:\n%s", c.Pos, c.Cmd, c.Input, actual, c.Expected)
		}
		fmt.Fprintf(&out, "----\n%s\n", actual)
	}
	out.WriteString(chunks[len(cases)])
	if *rewrite {
		if err := os.WriteFile(file, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// parseFile splits a file into cases. chunks[i] is the text before case
// i's expected output (comments, command, input); the last chunk is what
// follows the last case.
func parseFile(file, data string) ([]*Case, []string, error) {
	lines := strings.Split(data, "\n")
	var cases []*Case
	var chunks []string
	var chunk strings.Builder
	for i := 0; i < len(lines); {
		line := lines[i]
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			if i < len(lines)-1 || line != "" {
				chunk.WriteString(line + "\n")
			}
			i++
			continue
		}
		c := &Case{Pos: fmt.Sprintf("%s:%d", file, i+1)}
		fields := strings.Fields(line)
		c.Cmd, c.Args = fields[0], fields[1:]
		chunk.WriteString(line + "\n")
		i++
		var input []string
		for ; i < len(lines) && lines[i] != "----"; i++ {
			input = append(input, lines[i])
			chunk.WriteString(lines[i] + "\n")
		}
		if i == len(lines) {
			return nil, nil, fmt.Errorf("%s: case has no ---- line", c.Pos)
		}
		i++ // ----
		var expected []string
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			expected = append(expected, lines[i])
		}
		c.Input = strings.Join(input, "\n")
		c.Expected = strings.Join(expected, "\n")
		cases = append(cases, c)
		chunks = append(chunks, chunk.String())
		chunk.Reset()
	}
	chunks = append(chunks, chunk.String())
	return cases, chunks, nil
}
