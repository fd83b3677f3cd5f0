package functions

import (
	"fmt"
	"time"

	"github.com/riffle-sql/riffle/sql/types"
)

// Date and time functions: EXTRACT (called as EXTRACT_<unit>), TSDIFF,
// UNIX_TIMESTAMP, TO_TIMESTAMP, and the SimpleDateFormat conversions
// CHAR_TO_TIMESTAMP/DATE/TIME and TIMESTAMP/DATE/TIME_TO_CHAR.
// CURRENT_DATE and friends are not here: they read the clock.

const msPerDay = 86400000

func init() {
	register(map[string]*Scalar{
		// EXTRACT gives BIGINT, except SECOND: DECIMAL(5,3) with the
		// milliseconds (EXTRACT(SECOND FROM INTERVAL '2 3:4:5.678' DAY TO
		// SECOND) = 5.678). Fields of an interval keep its sign.
		"EXTRACT_YEAR":   extractFunc("YEAR"),
		"EXTRACT_MONTH":  extractFunc("MONTH"),
		"EXTRACT_DAY":    extractFunc("DAY"),
		"EXTRACT_HOUR":   extractFunc("HOUR"),
		"EXTRACT_MINUTE": extractFunc("MINUTE"),
		"EXTRACT_SECOND": extractFunc("SECOND"),
		// TSDIFF(a, b) = a - b in milliseconds, for TIMESTAMPs or BIGINT
		// epoch milliseconds.
		"TSDIFF": {MinArgs: 2, MaxArgs: 2, NullIn: true,
			Result: func(a []types.Type) (types.Type, error) {
				for _, t := range a {
					if !isInstantType(t) {
						return types.Type{}, fmt.Errorf("TSDIFF takes TIMESTAMPs or BIGINT milliseconds, not %s", t)
					}
				}
				return types.Type{Kind: types.BigInt}, nil
			},
			Eval: func(a []types.Value) (types.Value, error) {
				x, y := instantMs(a[0]), instantMs(a[1])
				d := x - y
				if (x >= 0) != (y >= 0) && (d >= 0) != (x >= 0) {
					return types.Value{}, fmt.Errorf("TSDIFF: BIGINT overflow in %d - %d", x, y)
				}
				return types.Int(types.BigInt, d), nil
			}},
		"UNIX_TIMESTAMP": {MinArgs: 1, MaxArgs: 1, NullIn: true, Monotonic: true,
			Result: func(a []types.Type) (types.Type, error) {
				if a[0].Kind != types.Timestamp && a[0].Kind != types.Date && a[0].Kind != types.Unknown {
					return types.Type{}, fmt.Errorf("UNIX_TIMESTAMP takes a TIMESTAMP, not %s", a[0])
				}
				return types.Type{Kind: types.BigInt}, nil
			},
			Eval: func(a []types.Value) (types.Value, error) { return types.Int(types.BigInt, instantMs(a[0])), nil }},
		"TO_TIMESTAMP": {MinArgs: 1, MaxArgs: 1, NullIn: true, Monotonic: true,
			Result: func(a []types.Type) (types.Type, error) {
				if !isIntegerType(a[0]) {
					return types.Type{}, fmt.Errorf("TO_TIMESTAMP takes BIGINT milliseconds since the epoch, not %s", a[0])
				}
				return types.Type{Kind: types.Timestamp}, nil
			},
			Eval: func(a []types.Value) (types.Value, error) { return types.TimestampMs(a[0].I), nil }},
		"CHAR_TO_TIMESTAMP": charToFunc("CHAR_TO_TIMESTAMP", types.Timestamp),
		"CHAR_TO_DATE":      charToFunc("CHAR_TO_DATE", types.Date),
		"CHAR_TO_TIME":      charToFunc("CHAR_TO_TIME", types.Time),
		// TIMESTAMP_TO_CHAR of a NULL timestamp is the string 'null', as
		// the reference documents.
		"TIMESTAMP_TO_CHAR": toCharFunc("TIMESTAMP_TO_CHAR", types.Timestamp, "null"),
		"DATE_TO_CHAR":      toCharFunc("DATE_TO_CHAR", types.Date, ""),
		"TIME_TO_CHAR":      toCharFunc("TIME_TO_CHAR", types.Time, ""),
	})
}

func isInstantType(t types.Type) bool {
	return t.Kind == types.Timestamp || t.Kind == types.Date || isIntegerType(t)
}

// instantMs is ms since the epoch of a TIMESTAMP, DATE or integer.
func instantMs(v types.Value) int64 {
	if v.Kind == types.Date {
		return v.I * msPerDay
	}
	return v.I
}

func extractFunc(unit string) *Scalar {
	name := "EXTRACT(" + unit + " FROM ...)"
	result := types.Type{Kind: types.BigInt}
	if unit == "SECOND" {
		result = types.Type{Kind: types.Decimal, Precision: 5, Scale: 3}
	}
	return &Scalar{MinArgs: 1, MaxArgs: 1, NullIn: true, Monotonic: unit == "YEAR",
		Result: func(a []types.Type) (types.Type, error) {
			ok := false
			switch a[0].Kind {
			case types.Timestamp, types.Unknown:
				ok = true
			case types.Date:
				ok = unit == "YEAR" || unit == "MONTH" || unit == "DAY"
			case types.IntervalYearMonth:
				ok = unit == "YEAR" || unit == "MONTH"
			case types.Time:
				ok = unit == "HOUR" || unit == "MINUTE" || unit == "SECOND"
			case types.IntervalDayTime:
				ok = unit != "YEAR" && unit != "MONTH"
			}
			if !ok {
				return types.Type{}, fmt.Errorf("%s does not apply to %s", name, a[0])
			}
			return result, nil
		},
		Eval: func(a []types.Value) (types.Value, error) {
			v := a[0]
			var n int64 // the field; for SECOND, in milliseconds
			switch v.Kind {
			case types.IntervalYearMonth:
				n = v.I / 12
				if unit == "MONTH" {
					n = v.I % 12
				}
			case types.IntervalDayTime:
				switch unit {
				case "DAY":
					n = v.I / msPerDay
				case "HOUR":
					n = v.I / 3600000 % 24
				case "MINUTE":
					n = v.I / 60000 % 60
				case "SECOND":
					n = v.I % 60000
				}
			default:
				t := timeOf(instantMs(v))
				switch unit {
				case "YEAR":
					n = int64(t.Year())
				case "MONTH":
					n = int64(t.Month())
				case "DAY":
					n = int64(t.Day())
				case "HOUR":
					n = int64(t.Hour())
				case "MINUTE":
					n = int64(t.Minute())
				case "SECOND":
					n = int64(t.Second())*1000 + int64(t.Nanosecond()/1e6)
				}
			}
			if unit == "SECOND" {
				return types.Dec(n, 3), nil
			}
			return types.Int(types.BigInt, n), nil
		}}
}

func charToFunc(name string, kind types.Kind) *Scalar {
	return &Scalar{MinArgs: 2, MaxArgs: 2, NullIn: true,
		Result: func(a []types.Type) (types.Type, error) {
			if !isStringType(a[0]) || !isStringType(a[1]) {
				return types.Type{}, fmt.Errorf("%s takes a format and a string, not %s and %s", name, a[0], a[1])
			}
			return types.Type{Kind: kind}, nil
		},
		Eval: func(a []types.Value) (types.Value, error) {
			f, err := compileDateFormat(a[0].S)
			if err != nil {
				return types.Value{}, fmt.Errorf("%s: %v", name, err)
			}
			ms, err := f.parse(a[1].S)
			if err != nil {
				return types.Value{}, fmt.Errorf("%s: %v", name, err)
			}
			switch kind {
			case types.Date:
				return types.Int(types.Date, floorDiv(ms, msPerDay)), nil
			case types.Time:
				return types.Int(types.Time, ms-floorDiv(ms, msPerDay)*msPerDay), nil
			}
			return types.TimestampMs(ms), nil
		}}
}

// toCharFunc formats a datetime of the kind (a TIMESTAMP_TO_CHAR also takes
// a DATE). nullText, when set, is the result for a NULL datetime.
func toCharFunc(name string, kind types.Kind, nullText string) *Scalar {
	return &Scalar{MinArgs: 2, MaxArgs: 2, NullIn: nullText == "",
		Result: func(a []types.Type) (types.Type, error) {
			t := a[1].Kind
			if !isStringType(a[0]) || !(t == kind || t == types.Unknown || kind == types.Timestamp && t == types.Date) {
				return types.Type{}, fmt.Errorf("%s takes a format and a %s, not %s and %s", name, kind, a[0], a[1])
			}
			// A pattern letter gives at most 9 characters (y: a year).
			return varchar(9 * a[0].Length), nil
		},
		Eval: func(a []types.Value) (types.Value, error) {
			if a[0].Null {
				return types.NullOf(types.Varchar), nil
			}
			if a[1].Null {
				return types.Str(types.Varchar, nullText), nil
			}
			f, err := compileDateFormat(a[0].S)
			if err != nil {
				return types.Value{}, fmt.Errorf("%s: %v", name, err)
			}
			return types.Str(types.Varchar, f.format(instantMs(a[1]))), nil
		}}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func timeOf(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
