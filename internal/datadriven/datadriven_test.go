package datadriven

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const file = `# a comment
upper
abc
----
ABC

upper
two
lines
----
TWO
LINES
`

func TestRewriteFixesOutputsAndKeepsTheRest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cases.txt")
	stale := strings.Replace(file, "ABC", "WRONG", 1)
	if err := os.WriteFile(path, []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	*rewrite = true
	defer func() { *rewrite = false }()
	var seen []string
	Walk(t, path, func(t *testing.T, c *Case) string {
		seen = append(seen, c.Cmd+":"+c.Input)
		return strings.ToUpper(c.Input)
	})
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != file {
		t.Fatalf("rewritten file:\n%s\nwant:\n%s", got, file)
	}
	if strings.Join(seen, "|") != "upper:abc|upper:two\nlines" {
		t.Fatalf("cases seen: %q", seen)
	}
}

func TestCaseWithoutSeparatorIsAnError(t *testing.T) {
	if _, _, err := parseFile("x.txt", "cmd\ninput\n"); err == nil || !strings.Contains(err.Error(), "x.txt:1") {
		t.Fatalf("parseFile = %v, want an error naming x.txt:1", err)
	}
}
