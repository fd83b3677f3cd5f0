// Command depgraph prints the module's package imports as a Mermaid
// flowchart, the picture in docs/architecture.md:
//
//	go run ./internal/tools/depgraph
package main

import (
	"fmt"
	"os"

	"github.com/riffle-sql/riffle/internal/depgraph"
)

func main() {
	root, err := depgraph.Root()
	if err == nil {
		var pkgs map[string]*depgraph.Package
		if pkgs, err = depgraph.Read(root); err == nil {
			fmt.Print(depgraph.Mermaid(pkgs))
			return
		}
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
