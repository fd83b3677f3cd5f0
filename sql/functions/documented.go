package functions

import (
	"slices"
	"sync"
)

// Kind says how a function of the SQL reference is called.
type Kind int

const (
	// NotDocumented is the kind of a name the reference does not document.
	NotDocumented Kind = iota
	// ScalarKind functions compute a value from one row.
	ScalarKind
	// AggregateKind functions fold a GROUP BY group or an OVER window.
	AggregateKind
	// AnalyticKind functions work only OVER a window (LAG, NTH_VALUE).
	AnalyticKind
	// TableKind functions are called in FROM, as TABLE(f(CURSOR(...), ...)).
	TableKind
)

// documented are the functions of the Amazon Kinesis Data Analytics SQL
// reference, by the name they are called with, whether Riffle implements
// them or not: a name here that nothing in Riffle registers is reported
// as documented but not supported yet, never as unknown. Keywords with a
// syntax of their own (CAST, EXTRACT, TRIM, STEP, FLOOR ... TO) are
// parsed, not looked up, and are not listed.
var documented = map[string]Kind{
	// Aggregate functions.
	"AVG": AggregateKind, "COUNT": AggregateKind, "MAX": AggregateKind, "MIN": AggregateKind,
	"SUM": AggregateKind, "FIRST_VALUE": AggregateKind, "LAST_VALUE": AggregateKind, "EXP_AVG": AggregateKind,
	"COUNT_DISTINCT_ITEMS_TUMBLING": TableKind, "TOP_K_ITEMS_TUMBLING": TableKind,
	// Boolean functions.
	"ANY": AggregateKind, "EVERY": AggregateKind,
	// Statistical variance and deviation functions, and the analytic table
	// functions listed with them.
	"VAR_POP": AggregateKind, "VAR_SAMP": AggregateKind,
	"STDDEV_POP": AggregateKind, "STDDEV_SAMP": AggregateKind,
	"HOTSPOTS": TableKind, "RANDOM_CUT_FOREST": TableKind, "RANDOM_CUT_FOREST_WITH_EXPLANATION": TableKind,
	// Sorting functions.
	"GROUP_RANK": TableKind,
	// Streaming SQL functions.
	"LAG": AnalyticKind, "NTH_VALUE": AnalyticKind, "MONOTONIC": ScalarKind,
	// Date and time functions and datetime conversion functions.
	"CURRENT_DATE": ScalarKind, "CURRENT_ROW_TIMESTAMP": ScalarKind, "CURRENT_TIME": ScalarKind,
	"CURRENT_TIMESTAMP": ScalarKind, "LOCALTIME": ScalarKind, "LOCALTIMESTAMP": ScalarKind,
	"TSDIFF": ScalarKind, "CHAR_TO_DATE": ScalarKind, "CHAR_TO_TIME": ScalarKind,
	"CHAR_TO_TIMESTAMP": ScalarKind, "DATE_TO_CHAR": ScalarKind, "TIME_TO_CHAR": ScalarKind,
	"TIMESTAMP_TO_CHAR": ScalarKind, "TO_TIMESTAMP": ScalarKind, "UNIX_TIMESTAMP": ScalarKind,
	// Null functions.
	"COALESCE": ScalarKind, "NULLIF": ScalarKind,
	// Numeric functions.
	"ABS": ScalarKind, "CEIL": ScalarKind, "CEILING": ScalarKind, "EXP": ScalarKind,
	"FLOOR": ScalarKind, "LN": ScalarKind, "LOG10": ScalarKind, "MOD": ScalarKind, "POWER": ScalarKind,
	// Log parsing functions (FAST_REGEX_LOG_PARSER is the page's title; the
	// function is called FAST_REGEX_LOG_PARSE).
	"FAST_REGEX_LOG_PARSE": ScalarKind, "FIXED_COLUMN_LOG_PARSE": ScalarKind,
	"REGEX_LOG_PARSE": ScalarKind, "SYS_LOG_PARSE": ScalarKind,
	"VARIABLE_COLUMN_LOG_PARSE": ScalarKind, "W3C_LOG_PARSE": ScalarKind,
	// String and search functions.
	"CHAR_LENGTH": ScalarKind, "CHARACTER_LENGTH": ScalarKind, "INITCAP": ScalarKind,
	"LOWER": ScalarKind, "UPPER": ScalarKind, "OVERLAY": ScalarKind, "POSITION": ScalarKind,
	"REGEX_REPLACE": ScalarKind, "SUBSTRING": ScalarKind,
}

// Documented tells whether the SQL reference documents a function of this
// upper-case name.
func Documented(name string) bool { return documented[name] != NotDocumented }

// DocumentedKind is how the SQL reference calls a function, NotDocumented
// for a name it does not document.
func DocumentedKind(name string) Kind { return documented[name] }

// names caches Names: the registries are filled by init functions and not
// changed after.
var names = sync.OnceValue(func() []string {
	var all []string
	for n := range documented {
		all = append(all, n)
	}
	for n := range scalars {
		all = append(all, n)
	}
	for n := range aggregates {
		all = append(all, n)
	}
	slices.Sort(all)
	return slices.Compact(all)
})

// Names are every function name Riffle knows, documented or registered,
// sorted: what a misspelt name is compared with.
func Names() []string { return names() }

// DocumentedTables are the table functions of the SQL reference, sorted.
func DocumentedTables() []string {
	var all []string
	for n, k := range documented {
		if k == TableKind {
			all = append(all, n)
		}
	}
	slices.Sort(all)
	return all
}
