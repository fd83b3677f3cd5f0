// Package depgraph reads which of the module's packages import which
// (production code only, tests left out), for the architecture test and
// the picture in docs/architecture.md.
package depgraph

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Module is the module path the graph is drawn for.
const Module = "github.com/riffle-sql/riffle"

// Package is one package's imports, split into the module's own (paths
// relative to the module root) and the others.
type Package struct {
	Path     string // relative to the module root, e.g. "app"
	Imports  []string
	External []string
}

// Read walks the module rooted at root and returns its packages by path.
func Read(root string) (map[string]*Package, error) {
	pkgs := map[string]*Package{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return fmt.Errorf("depgraph: %w", err)
		}
		p := pkgs[rel]
		if p == nil {
			p = &Package{Path: rel}
			pkgs[rel] = p
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if own, ok := strings.CutPrefix(ip, Module+"/"); ok {
				p.Imports = append(p.Imports, own)
			} else {
				p.External = append(p.External, ip)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range pkgs {
		slices.Sort(p.Imports)
		p.Imports = slices.Compact(p.Imports)
		slices.Sort(p.External)
		p.External = slices.Compact(p.External)
	}
	return pkgs, nil
}

// Command is the package of the riffle command: the production packages
// are those it imports, directly or not.
const Command = "cmd/riffle"

// Production is the command's package and every package of the module it
// imports, directly or not, sorted (test helpers and tools are not).
func Production(pkgs map[string]*Package) []string {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(path string) {
		if seen[path] || pkgs[path] == nil {
			return
		}
		seen[path] = true
		for _, imp := range pkgs[path].Imports {
			visit(imp)
		}
	}
	visit(Command)
	var paths []string
	for path := range seen {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	return paths
}

// Mermaid draws the production packages' imports of each other as a
// Mermaid flowchart, from the command down.
func Mermaid(pkgs map[string]*Package) string {
	paths := Production(pkgs)
	id := func(path string) string { return strings.NewReplacer("/", "_", ".", "_").Replace(path) }
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	for _, path := range paths {
		fmt.Fprintf(&b, "  %s[%s]\n", id(path), path)
	}
	for _, path := range paths {
		for _, imp := range pkgs[path].Imports {
			fmt.Fprintf(&b, "  %s --> %s\n", id(path), id(imp))
		}
	}
	return b.String()
}

// Root is the module root above the working directory (tests run in
// their package's directory).
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("depgraph: no go.mod above the working directory")
		}
		dir = parent
	}
}
