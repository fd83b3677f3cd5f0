package ast

import (
	goast "go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// samples hold one value of every node kind implementing Expr. A new kind
// goes here and into the switch of Children.
var samples = []Expr{
	&Literal{}, &IntervalLit{}, &IntervalConv{}, &ColumnRef{}, &Unary{}, &Binary{},
	&IsNull{}, &IsTruth{}, &IsDistinct{}, &InList{}, &Between{}, &Like{}, &Exists{},
	&ScalarQuery{}, &Case{}, &Cast{}, &FuncCall{}, &Cursor{}, &FloorCeil{}, &Step{},
	&Extract{}, &Substring{}, &Position{}, &Trim{}, &Overlay{}, &Period{}, &PeriodPredicate{},
}

// exprKinds reads the package's sources for the types with an expr()
// method: the node kinds implementing Expr.
func exprKinds(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*goast.FuncDecl)
			if !ok || fn.Name.Name != "expr" || fn.Recv == nil || len(fn.Recv.List) != 1 {
				continue
			}
			typ := fn.Recv.List[0].Type
			if star, ok := typ.(*goast.StarExpr); ok {
				typ = star.X
			}
			if id, ok := typ.(*goast.Ident); ok {
				kinds = append(kinds, id.Name)
			}
		}
	}
	slices.Sort(kinds)
	return kinds
}

// TestChildrenKnowsEveryExpr: every node kind with an expr() method has a
// sample, and for each sample with every expression field filled (lists of
// two, windows with partitions, orders and frame offsets), Inspect visits
// each filled sub-expression exactly once and nothing inside a subquery.
func TestChildrenKnowsEveryExpr(t *testing.T) {
	var have []string
	for _, s := range samples {
		have = append(have, reflect.TypeOf(s).Elem().Name())
	}
	slices.Sort(have)
	want := exprKinds(t)
	if len(want) < 20 {
		t.Fatalf("found only %d node kinds in the sources: %v", len(want), want)
	}
	if !slices.Equal(have, want) {
		t.Fatalf("node kinds implementing Expr: %v\nsamples: %v\nadd the new kind to samples and to the switch of Children (sql/ast/inspect.go)", want, have)
	}
	for _, s := range samples {
		name := reflect.TypeOf(s).Elem().Name()
		var marks []Expr
		inSubquery := &ColumnRef{Parts: []Ident{{Name: "IN_SUBQUERY"}}}
		mark := func() Expr {
			m := &ColumnRef{Parts: []Ident{{Name: "M"}}}
			marks = append(marks, m)
			return m
		}
		subquery := func() Query { return &Select{Where: inSubquery} }
		v := reflect.New(reflect.TypeOf(s).Elem())
		fill(v.Elem(), mark, subquery)
		root := v.Interface().(Expr)
		seen := map[Expr]int{}
		Inspect(root, func(e Expr) bool {
			seen[e]++
			return true
		})
		if seen[root] != 1 {
			t.Errorf("%s: the root was visited %d times", name, seen[root])
		}
		for i, m := range marks {
			if seen[m] != 1 {
				t.Errorf("%s: sub-expression %d of %d visited %d times, want once", name, i+1, len(marks), seen[m])
			}
		}
		if seen[inSubquery] != 0 {
			t.Errorf("%s: Inspect entered a subquery", name)
		}
	}
}

var (
	exprType  = reflect.TypeFor[Expr]()
	queryType = reflect.TypeFor[Query]()
)

// fill sets every Expr field reachable in v (through structs, pointers to
// structs and slices, which get two elements) to a new mark, and every
// Query to a subquery.
func fill(v reflect.Value, mark func() Expr, subquery func() Query) {
	switch v.Kind() {
	case reflect.Interface:
		switch v.Type() {
		case exprType:
			v.Set(reflect.ValueOf(mark()))
		case queryType:
			v.Set(reflect.ValueOf(subquery()))
		}
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Struct {
			p := reflect.New(v.Type().Elem())
			fill(p.Elem(), mark, subquery)
			v.Set(p)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), mark, subquery)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), mark, subquery)
		}
		v.Set(s)
	}
}

func TestInspectSkipsChildrenWhenToldTo(t *testing.T) {
	inner := &ColumnRef{Parts: []Ident{{Name: "X"}}}
	call := &FuncCall{Name: []Ident{{Name: "F"}}, Args: []Expr{inner}}
	top := &Binary{Op: "+", L: call, R: &Literal{Kind: NumberLit, Text: "1"}}
	var got []string
	Inspect(top, func(e Expr) bool {
		got = append(got, e.String())
		_, isCall := e.(*FuncCall)
		return !isCall
	})
	want := []string{`(F("X") + 1)`, `F("X")`, "1"}
	if !slices.Equal(got, want) {
		t.Fatalf("visited %q, want %q", got, want)
	}
	Inspect(nil, func(Expr) bool { t.Fatal("visited a nil expression"); return true })
}
