package plan

import (
	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/functions"
	"github.com/riffle-sql/riffle/sql/types"
)

// windowOnly are the functions computed only over a window (OVER w).
var windowOnly = map[string]bool{"LAG": true, "NTH_VALUE": true, "EXP_AVG": true}

// aggOptions checks DISTINCT, IGNORE NULLS / RESPECT NULLS and FROM
// FIRST / FROM LAST on an aggregate call, for the options they ask.
func aggOptions(n *ast.FuncCall, name string, f *functions.Aggregate) (functions.Options, error) {
	var o functions.Options
	if n.Distinct {
		if !f.Distinct {
			return o, errAt(n, "%s does not take DISTINCT", name)
		}
		o.Distinct = true
	}
	if n.NullTreatment != "" {
		if !f.NullTreatment {
			return o, errAt(n, "%s takes no %s (FIRST_VALUE, LAST_VALUE, NTH_VALUE and LAG do): it skips NULLs already", name, n.NullTreatment)
		}
		o.IgnoreNulls = n.NullTreatment == "IGNORE NULLS"
	}
	if n.FromEnd != "" {
		return o, errAt(n, "%s takes no %s (NTH_VALUE does)", name, n.FromEnd)
	}
	return o, nil
}

// windowedCall plans NTH_VALUE(x, n) [FROM FIRST | FROM LAST]
// [IGNORE NULLS | RESPECT NULLS] and EXP_AVG(x, halfLife).
func windowedCall(in *compiler, f *ast.FuncCall, name string) (AnalyticCall, error) {
	if len(f.Args) != 2 || f.Star || f.Distinct {
		if name == "NTH_VALUE" {
			return AnalyticCall{}, errAt(f, "NTH_VALUE takes (expression, n)")
		}
		return AnalyticCall{}, errAt(f, "EXP_AVG takes (expression, half-life interval)")
	}
	arg, err := in.compile(f.Args[0])
	if err != nil {
		return AnalyticCall{}, err
	}
	call := AnalyticCall{Arg: arg, Type: arg.Type}
	if name == "NTH_VALUE" {
		n, err := in.compile(f.Args[1])
		if err != nil {
			return call, err
		}
		v, ok := constantValue(n)
		if !ok || !v.Kind.IsInteger() || v.Null || v.I < 1 {
			return call, errAt(f.Args[1], "NTH_VALUE's n must be a whole number, 1 or more")
		}
		call.Kind, call.Nth = AnalyticNth, v.I
		call.FromLast = f.FromEnd == "FROM LAST"
		call.IgnoreNulls = f.NullTreatment == "IGNORE NULLS"
		return call, nil
	}
	if f.NullTreatment != "" || f.FromEnd != "" {
		return call, errAt(f, "EXP_AVG takes no %s%s: it skips NULLs", f.NullTreatment, f.FromEnd)
	}
	if !arg.Type.Kind.IsNumeric() && arg.Type.Kind != types.Unknown {
		return call, errAt(f.Args[0], "EXP_AVG takes numbers, not %s", arg.Type)
	}
	h, err := constantInterval(in, f.Args[1])
	if err != nil {
		return call, err
	}
	call.Kind, call.HalfLife = AnalyticExpAvg, h
	return call, nil
}
