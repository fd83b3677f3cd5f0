// Package types holds the SQL types and values of the dialect: their
// representation, comparison, arithmetic typing and casts.
package types

import (
	"fmt"

	"github.com/riffle-sql/riffle/sql/ast"
)

// Kind is a type family.
type Kind uint8

const (
	Unknown Kind = iota // the type of a bare NULL
	Boolean
	TinyInt
	SmallInt
	Integer
	BigInt
	Decimal
	Real
	Double
	Char
	Varchar
	Binary
	Varbinary
	Date
	Time
	Timestamp
	IntervalDayTime   // milliseconds
	IntervalYearMonth // months
)

var kindNames = [...]string{
	Unknown: "NULL", Boolean: "BOOLEAN", TinyInt: "TINYINT", SmallInt: "SMALLINT", Integer: "INTEGER",
	BigInt: "BIGINT", Decimal: "DECIMAL", Real: "REAL", Double: "DOUBLE", Char: "CHAR", Varchar: "VARCHAR",
	Binary: "BINARY", Varbinary: "VARBINARY", Date: "DATE", Time: "TIME", Timestamp: "TIMESTAMP",
	IntervalDayTime: "INTERVAL DAY TO SECOND", IntervalYearMonth: "INTERVAL YEAR TO MONTH",
}

func (k Kind) String() string { return kindNames[k] }

// IsInteger tells the exact integer kinds.
func (k Kind) IsInteger() bool { return k >= TinyInt && k <= BigInt }

// IsNumeric tells every number kind.
func (k Kind) IsNumeric() bool { return k >= TinyInt && k <= Double }

// IsString tells CHAR and VARCHAR.
func (k Kind) IsString() bool { return k == Char || k == Varchar }

// IsDatetime tells DATE, TIME and TIMESTAMP.
func (k Kind) IsDatetime() bool { return k == Date || k == Time || k == Timestamp }

// IsInterval tells both interval kinds.
func (k Kind) IsInterval() bool { return k == IntervalDayTime || k == IntervalYearMonth }

// Type is a SQL type: a kind with its length, or precision and scale.
type Type struct {
	Kind      Kind
	Length    int // CHAR, VARCHAR, BINARY, VARBINARY
	Precision int // DECIMAL
	Scale     int // DECIMAL
}

// Lengths the service allows, and the defaults Riffle takes when the SQL
// leaves them out.
const (
	MaxLength        = 65535
	DefaultVarchar   = 65535 // VARCHAR without a length [obs] in real applications
	MaxDecimalDigits = 19
)

func (t Type) String() string {
	switch t.Kind {
	case Char, Varchar, Binary, Varbinary:
		return fmt.Sprintf("%s(%d)", t.Kind, t.Length)
	case Decimal:
		return fmt.Sprintf("DECIMAL(%d, %d)", t.Precision, t.Scale)
	}
	return t.Kind.String()
}

// FromAST converts a written type, checking its sizes.
func FromAST(n ast.TypeName) (Type, error) {
	arg := func(i, def int) int {
		if i < len(n.Args) {
			return n.Args[i]
		}
		return def
	}
	var t Type
	switch n.Name {
	case "BOOLEAN":
		t.Kind = Boolean
	case "TINYINT":
		t.Kind = TinyInt
	case "SMALLINT":
		t.Kind = SmallInt
	case "INTEGER":
		t.Kind = Integer
	case "BIGINT":
		t.Kind = BigInt
	case "REAL":
		t.Kind = Real
	case "DOUBLE", "FLOAT":
		t.Kind = Double
	case "DECIMAL":
		t = Type{Kind: Decimal, Precision: arg(0, MaxDecimalDigits), Scale: arg(1, 0)}
		if t.Precision < 1 || t.Precision > MaxDecimalDigits || t.Scale > t.Precision {
			return t, fmt.Errorf("DECIMAL(%d, %d): precision must be 1 to %d and scale at most the precision", t.Precision, t.Scale, MaxDecimalDigits)
		}
	case "CHAR":
		t = Type{Kind: Char, Length: arg(0, 1)}
	case "VARCHAR":
		t = Type{Kind: Varchar, Length: arg(0, DefaultVarchar)}
	case "BINARY":
		t = Type{Kind: Binary, Length: arg(0, 1)}
	case "VARBINARY":
		t = Type{Kind: Varbinary, Length: arg(0, DefaultVarchar)}
	case "DATE":
		t.Kind = Date
	case "TIME":
		t.Kind = Time
	case "TIMESTAMP":
		t.Kind = Timestamp
	default:
		return t, fmt.Errorf("unknown type %s", n.Name)
	}
	if (t.Kind == Char || t.Kind == Varchar || t.Kind == Binary || t.Kind == Varbinary) && (t.Length < 1 || t.Length > MaxLength) {
		return t, fmt.Errorf("%s length must be between 1 and %d", n.Name, MaxLength)
	}
	return t, nil
}
