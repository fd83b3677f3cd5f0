package migrate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/internal/datadriven"
)

// read reads the test files a case names, or the template that is its
// input (named stack.yaml), with its KEY=VALUE parameters.
func read(t *testing.T, args []string, input string) []*File {
	t.Helper()
	opts := Options{Parameters: map[string]string{}}
	var files []*File
	for _, arg := range args {
		if k, v, ok := strings.Cut(arg, "="); ok {
			opts.Parameters[k] = v
		}
	}
	if input != "" {
		f, err := Read("stack.yaml", []byte(input), opts)
		if err != nil {
			return []*File{{Name: "stack.yaml", Problems: []Problem{{Message: err.Error(), Blocks: true}}}}
		}
		return []*File{f}
	}
	for _, arg := range args {
		if strings.Contains(arg, "=") {
			continue
		}
		data, err := os.ReadFile(filepath.Join("testdata", arg))
		if err != nil {
			t.Fatal(err)
		}
		f, err := Read(arg, data, opts)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// TestImport reads the templates and describe-application files of
// testdata: "report FILE... [K=V]..." is what riffle apps import --dry-run
// prints, "requests FILE [K=V]..." the requests each application becomes;
// without FILE, the case's input is the template. A file that cannot be
// read shows as its error.
func TestImport(t *testing.T) {
	datadriven.Walk(t, "testdata/*.txt", func(t *testing.T, c *datadriven.Case) string {
		files := read(t, c.Args, c.Input)
		var out strings.Builder
		switch c.Cmd {
		case "report":
			WriteReport(&out, files, false)
		case "report-start":
			WriteReport(&out, files, true)
		case "requests":
			for _, f := range files {
				for _, a := range f.Applications {
					data, err := a.RequestsJSON()
					if err != nil {
						t.Fatal(err)
					}
					out.Write(data)
				}
			}
		default:
			t.Fatalf("%s: unknown command %s", c.Pos, c.Cmd)
		}
		return out.String()
	})
}
