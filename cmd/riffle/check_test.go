package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckReportsEveryErrorWithFileLineAndColumn(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "app.sql")
	src := "CREATE STREAM s (a INT);\n" +
		"CREATE PUMP p AS INSERT INTO s\n  SELECT STREAM a FROM WHERE;\n" +
		"CREATE STREAM t (b WIDGET);\n"
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := runRiffle(t, "check", bad)
	if !errors.Is(err, errReported) {
		t.Fatalf("check of bad SQL: %v, want a failure", err)
	}
	want := bad + ":3:24: expected a stream or table name, found the reserved word WHERE (quote it as \"WHERE\" to use it as a name)\n" +
		bad + ":4:20: unknown type WIDGET\n"
	if errOut != want {
		t.Fatalf("stderr\n%s\nwant\n%s", errOut, want)
	}

	good := filepath.Join(dir, "good.sql")
	if err := os.WriteFile(good, []byte("CREATE STREAM s (a INT);\n-- done\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runRiffle(t, "check", good)
	if err != nil || !strings.Contains(out, "1 statements, no errors") {
		t.Fatalf("check of good SQL: %v, %q", err, out)
	}
}
