package plan

import (
	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/functions"
)

// didYouMean is " (did you mean X?)" for the candidate nearest to a
// misspelt name, or "" when none is near. Quoted candidates print as
// identifiers ("ticker"), others as written (FLOOR).
func didYouMean(name string, candidates []string, quoted bool) string {
	c, ok := ast.Closest(name, candidates)
	if !ok {
		return ""
	}
	if quoted {
		c = ast.Ident{Name: c}.String()
	}
	return " (did you mean " + c + "?)"
}

// unknownFunction explains a call the planner has no implementation for
// where it stands (over: the call has an OVER window). A function of the
// SQL reference that nothing registers is named as not supported yet; any
// other name is unknown, with the nearest known name.
func unknownFunction(n ast.Node, name string, over bool) error {
	kind := functions.DocumentedKind(name)
	_, scalar := functions.LookupScalar(name)
	switch {
	case kind == functions.TableKind:
		return errAt(n, "%s is a table function: call it in FROM, as TABLE(%s(CURSOR(SELECT STREAM ...), ...))", name, name)
	case over && (scalar || kind == functions.ScalarKind):
		return errAt(n, "%s is not an aggregate: it takes no OVER window", name)
	case !over && kind == functions.AnalyticKind:
		return errAt(n, "%s needs a window: %s(...) OVER w", name, name)
	case kind != functions.NotDocumented:
		return notSupportedYet(n, name)
	}
	return errAt(n, "unknown function %s%s", name, didYouMean(name, functions.Names(), false))
}

// unknownTableFunction explains TABLE(name(...)) where the planner has no
// table function of that name.
func unknownTableFunction(n ast.Node, name string) error {
	_, scalar := functions.LookupScalar(name)
	_, agg := functions.LookupAggregate(name)
	switch kind := functions.DocumentedKind(name); {
	case kind == functions.TableKind:
		return notSupportedYet(n, name)
	case kind != functions.NotDocumented || scalar || agg:
		return errAt(n, "%s is not a table function: call it in the select list", name)
	}
	return errAt(n, "unknown table function %s%s", name, didYouMean(name, functions.DocumentedTables(), false))
}

func notSupportedYet(n ast.Node, name string) error {
	return errAt(n, "%s is a Kinesis Data Analytics function that Riffle does not support yet", name)
}

// relationNames are the streams, tables and views a query may read: what
// a misspelt stream name is compared with.
func (g *Graph) relationNames() []string {
	var names []string
	for _, s := range g.Streams {
		names = append(names, s.Name)
	}
	for _, t := range g.Tables {
		names = append(names, t.Name)
	}
	for v := range g.views {
		names = append(names, v)
	}
	return names
}
