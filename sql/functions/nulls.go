package functions

import (
	"fmt"

	"github.com/riffle-sql/riffle/sql/types"
)

func init() {
	register(map[string]*Scalar{
		// NULLIF(a, b) is NULL when a = b, else a. A NULL b never equals a.
		"NULLIF": {MinArgs: 2, MaxArgs: 2,
			Result: func(a []types.Type) (types.Type, error) {
				if a[0].Kind != types.Unknown && a[1].Kind != types.Unknown {
					if _, err := types.Compare(types.Value{Kind: a[0].Kind}, types.Value{Kind: a[1].Kind}); err != nil {
						return types.Type{}, fmt.Errorf("NULLIF cannot compare %s with %s", a[0], a[1])
					}
				}
				if a[0].Kind == types.Unknown {
					return a[1], nil
				}
				return a[0], nil
			},
			Eval: func(a []types.Value) (types.Value, error) {
				x, y := a[0], a[1]
				if x.Null {
					if x.Kind == types.Unknown {
						return types.NullOf(y.Kind), nil
					}
					return x, nil
				}
				if y.Null {
					return x, nil
				}
				c, err := types.Compare(x, y)
				if err != nil {
					return types.Value{}, fmt.Errorf("NULLIF: %v", err)
				}
				if c == 0 {
					return types.NullOf(x.Kind), nil
				}
				return x, nil
			}},
	})
}
