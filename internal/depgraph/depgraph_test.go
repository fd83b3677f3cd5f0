package depgraph

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// layers order the production packages from the command down: a package
// imports only packages of layers below its own. A new package must find
// its place here.
var layers = [][]string{
	{"cmd/riffle"},
	{"demo"},
	{"server"},
	{"web", "api", "migrate"},
	{"app", "generator", "notify"},
	{"ingest", "destination", "runner"},
	{"compile", "internal/awsjson", "s3delivery", "sqltemplates"},
	{"record"},
	{"sql/engine"},
	{"sql/plan"},
	{"sql/logparse"},
	{"sql/functions", "sql/parser"},
	{"sql/types"},
	{"sql/ast", "rcf", "streamlog", "s3store", "replay", "generator/template", "sql/javaregex", "awskinesis"},
	{"internal/throttle", "internal/wait", "internal/shardid", "awsclients", "internal/hostguard", "internal/safedial", "internal/fdlimit"},
}

// noHTTP are the packages that must know nothing of HTTP.
var noHTTP = []string{"rcf", "sql/ast", "sql/parser", "sql/types", "sql/functions", "sql/javaregex", "sql/logparse", "sql/plan", "sql/engine", "record", "replay", "compile", "streamlog", "runner", "migrate"}

func readModule(t *testing.T) map[string]*Package {
	t.Helper()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := Read(root)
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// TestImportsGoDownOnly: every production package has a layer and imports
// only from layers below it; the SQL, the forest and the log know nothing
// of HTTP; the server's production code has no test recorder.
func TestImportsGoDownOnly(t *testing.T) {
	pkgs := readModule(t)
	layerOf := map[string]int{}
	for i, layer := range layers {
		for _, p := range layer {
			layerOf[p] = i
		}
	}
	for _, path := range Production(pkgs) {
		l, ok := layerOf[path]
		if !ok {
			t.Errorf("package %s has no layer in internal/depgraph's test: give it one", path)
			continue
		}
		for _, imp := range pkgs[path].Imports {
			if li, ok := layerOf[imp]; ok && li <= l {
				t.Errorf("%s imports %s, which is not below it", path, imp)
			}
		}
	}
	for _, path := range noHTTP {
		for _, ext := range pkgs[path].External {
			if strings.HasPrefix(ext, "net/http") || strings.HasPrefix(ext, "net/url") {
				t.Errorf("%s imports %s: it must know nothing of HTTP", path, ext)
			}
		}
	}
	if slices.Contains(pkgs["server"].External, "net/http/httptest") {
		t.Error("server's production code imports net/http/httptest")
	}
	for _, rule := range [][2]string{{"api", "ingest"}, {"app", "runner"}, {"app", "api"}, {"ingest", "app"}} {
		if slices.Contains(pkgs[rule[0]].Imports, rule[1]) {
			t.Errorf("%s imports %s", rule[0], rule[1])
		}
	}
}

// TestTheArchitecturePictureIsCurrent: docs/architecture.md holds the
// graph this module has (go run ./internal/tools/depgraph redraws it).
func TestTheArchitecturePictureIsCurrent(t *testing.T) {
	pkgs := readModule(t)
	root, _ := Root()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```mermaid\n"+Mermaid(pkgs)+"```") {
		t.Fatal("docs/architecture.md does not hold the current import graph: paste the output of `go run ./internal/tools/depgraph` into its mermaid block")
	}
}
