// Package sqltemplates writes the console's "Add SQL from templates": the
// service's stock applications (a continuous filter, a tumbling-window
// aggregate, a sliding-window aggregate, anomaly detection with
// RANDOM_CUT_FOREST and HOTSPOTS) written against an application's own
// input columns, so that each one saves and runs as it is.
package sqltemplates

import (
	"fmt"
	"strings"

	"github.com/riffle-sql/riffle/record"
)

// InputStream is the in-application input stream the templates read when
// the caller names no other (an input's default name prefix, first stream).
const InputStream = "SOURCE_SQL_STREAM_001"

// Template is one ready-to-edit application.
type Template struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	SQL         string `json:"sql"`
}

// TickerColumns are the columns of the service's demo stock-ticker stream,
// which the templates are written for when an application has no input yet.
func TickerColumns() []record.RecordColumn {
	return []record.RecordColumn{
		{Name: "TICKER_SYMBOL", SqlType: "VARCHAR(4)", Mapping: "$.TICKER_SYMBOL"},
		{Name: "SECTOR", SqlType: "VARCHAR(16)", Mapping: "$.SECTOR"},
		{Name: "CHANGE", SqlType: "REAL", Mapping: "$.CHANGE"},
		{Name: "PRICE", SqlType: "REAL", Mapping: "$.PRICE"},
	}
}

// For gives the templates for an input of these columns read as
// SOURCE_SQL_STREAM_001; with no columns, for the stock-ticker stream.
func For(columns []record.RecordColumn) []Template {
	return ForStream(InputStream, columns)
}

// ForStream gives the templates reading the in-application stream named
// (an input with another name prefix reads PREFIX_001). The hotspots
// template needs a numeric column: without one it is left out.
func ForStream(stream string, columns []record.RecordColumn) []Template {
	s := newSchema(stream, columns)
	ts := []Template{s.filter(), s.tumbling(), s.sliding(), s.anomaly()}
	if h, ok := s.hotspots(); ok {
		ts = append(ts, h)
	}
	return ts
}

// column is an input column as the templates use it.
type column struct {
	name    string // quoted: "name"
	sqlType string
	base    string // the type's name, upper case, without length or precision
}

func (c column) integer() bool {
	switch c.base {
	case "INTEGER", "INT", "BIGINT", "SMALLINT", "TINYINT":
		return true
	}
	return false
}

// scored is the column as a cursor of RANDOM_CUT_FOREST or HOTSPOTS must
// give it: they read DOUBLE, REAL, FLOAT and the integers, not DECIMAL.
func (c column) scored() string {
	if c.decimal() {
		return "CAST(" + c.name + " AS DOUBLE) AS " + c.name
	}
	return c.name
}

// scoredType is the type of scored's column.
func (c column) scoredType() string {
	if c.decimal() {
		return "DOUBLE"
	}
	return c.sqlType
}

func (c column) decimal() bool { return c.base == "DECIMAL" || c.base == "NUMERIC" }

// schema is what the templates need of the input.
type schema struct {
	stream string // quoted
	all    []column
	key    *column  // the first character column, if any
	nums   []column // the numeric columns, in order
	ticker bool     // the columns are the stock ticker's: the application has none
}

func newSchema(stream string, columns []record.RecordColumn) schema {
	s := schema{stream: quote(stream)}
	if len(columns) == 0 {
		columns, s.ticker = TickerColumns(), true
	}
	for _, rc := range columns {
		base := strings.ToUpper(strings.TrimSpace(rc.SqlType))
		if i := strings.IndexByte(base, '('); i >= 0 {
			base = strings.TrimSpace(base[:i])
		}
		c := column{name: quote(rc.Name), sqlType: rc.SqlType, base: base}
		s.all = append(s.all, c)
		switch base {
		case "DOUBLE", "DOUBLE PRECISION", "REAL", "FLOAT", "DECIMAL", "NUMERIC", "INTEGER", "INT", "BIGINT", "SMALLINT", "TINYINT":
			s.nums = append(s.nums, c)
		case "VARCHAR", "CHAR", "CHARACTER", "CHARACTER VARYING":
			if s.key == nil {
				s.key = &c
			}
		}
	}
	return s
}

// quote makes a name an SQL identifier that keeps its case, as the
// service's console wrote them.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// description ends every description with where the columns came from.
func (s schema) description(what string) string {
	if s.ticker {
		return what + " Written for the demo stock-ticker stream (TICKER_SYMBOL, SECTOR, CHANGE, PRICE), as this application has no input yet: rename the columns to your input's."
	}
	return what
}

// script assembles a template's SQL: the comment block (paragraphs,
// wrapped), then the statements.
func script(comment []string, statements ...string) string {
	var b strings.Builder
	for _, para := range comment {
		line := "--"
		for _, word := range strings.Fields(para) {
			if len(line)+1+len(word) > 78 && line != "--" {
				b.WriteString(line + "\n")
				line = "--"
			}
			line += " " + word
		}
		b.WriteString(line + "\n")
	}
	for i, st := range statements {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(st)
	}
	return b.String()
}

// createStream declares an in-application stream of these "name TYPE"s.
func createStream(name string, cols ...string) string {
	return "CREATE OR REPLACE STREAM " + quote(name) + " (\n    " + strings.Join(cols, ",\n    ") + "\n);\n"
}

// pump inserts the query's rows into the stream.
func pump(name, into, query string) string {
	return "CREATE OR REPLACE PUMP " + quote(name) + " AS\n    INSERT INTO " + quote(into) + "\n    " +
		strings.ReplaceAll(query, "\n", "\n    ") + ";\n"
}

func decl(name, sqlType string) string { return name + " " + sqlType }

func names(cols []column) []string {
	var out []string
	for _, c := range cols {
		out = append(out, c.name)
	}
	return out
}

func (s schema) step() string {
	return "STEP(" + s.stream + ".ROWTIME BY INTERVAL '10' SECOND)"
}

func (s schema) filter() Template {
	var decls []string
	for _, c := range s.all {
		decls = append(decls, decl(c.name, c.sqlType))
	}
	var where, what, change string
	switch {
	case len(s.nums) > 0:
		n := s.nums[0].name
		where = n + " > 0"
		what = "the rows whose " + n + " is above 0"
		change = "the condition in WHERE (here " + n + " > 0)"
	case s.key != nil:
		k := s.key.name
		where = k + " <> ''"
		what = "the rows whose " + k + " is not empty"
		change = "the condition in WHERE, e.g. " + k + " = 'a value'"
	default:
		n := s.all[0].name
		where = n + " IS NOT NULL"
		what = "the rows whose " + n + " is not NULL"
		change = "the condition in WHERE"
	}
	query := "SELECT STREAM " + strings.Join(names(s.all), ", ") + "\nFROM " + s.stream + "\nWHERE " + where
	return Template{
		ID:          "filter",
		Title:       "Continuous filter",
		Description: s.description("Passes on " + what + ", each as it arrives."),
		SQL: script([]string{
			"Continuous filter: " + what + ", each as it arrives, into DESTINATION_SQL_STREAM with all of the input's columns.",
			"To change: " + change + "; the columns kept (drop some from both the stream and the SELECT).",
		}, createStream("DESTINATION_SQL_STREAM", decls...), pump("STREAM_PUMP", "DESTINATION_SQL_STREAM", query)),
	}
}

func (s schema) tumbling() Template {
	var decls, sel []string
	var group []string
	per := ""
	if s.key != nil {
		decls = append(decls, decl(s.key.name, s.key.sqlType))
		sel = append(sel, s.key.name)
		group = append(group, s.key.name)
		per = " per " + s.key.name
	}
	decls = append(decls, decl(`"RECORD_COUNT"`, "BIGINT"))
	sel = append(sel, `COUNT(*) AS "RECORD_COUNT"`)
	what := "the number of rows"
	if len(s.nums) > 0 {
		n := s.nums[0]
		total := "DOUBLE"
		if n.integer() {
			total = "BIGINT"
		}
		decls = append(decls, decl(`"TOTAL"`, total))
		sel = append(sel, "SUM("+n.name+`) AS "TOTAL"`)
		what += " and the sum of " + n.name
	}
	group = append(group, s.step())
	query := "SELECT STREAM " + strings.Join(sel, ", ") + "\nFROM " + s.stream + "\nGROUP BY " + strings.Join(group, ", ")
	return Template{
		ID:          "tumbling",
		Title:       "Tumbling window",
		Description: s.description(upperFirst(what) + per + " in 10-second windows that do not overlap: one row" + per + " when each window closes."),
		SQL: script([]string{
			"Tumbling window: " + what + per + " in each 10-second window (aligned to the epoch, not overlapping), one row" + per + " when the window closes, stamped (ROWTIME) with the window's end.",
			"To change: the window's length (INTERVAL '10' SECOND, e.g. '1' MINUTE); the aggregates (COUNT, SUM, AVG, MIN, MAX); the GROUP BY key.",
		}, createStream("DESTINATION_SQL_STREAM", decls...), pump("STREAM_PUMP", "DESTINATION_SQL_STREAM", query)),
	}
}

func (s schema) sliding() Template {
	var decls, sel []string
	partition, per := "", ""
	if s.key != nil {
		decls = append(decls, decl(s.key.name, s.key.sqlType))
		sel = append(sel, s.key.name)
		partition = "PARTITION BY " + s.key.name + " "
		per = " of the same " + s.key.name
	}
	what := "the number of rows" + per
	if len(s.nums) > 0 {
		n := s.nums[0]
		decls = append(decls, decl(n.name, n.sqlType), decl(`"MOVING_AVERAGE"`, "DOUBLE"))
		arg := n.name
		if n.integer() {
			arg = "CAST(" + n.name + " AS DOUBLE)" // an integer's AVG is an integer
		}
		sel = append(sel, n.name, "AVG("+arg+`) OVER W1 AS "MOVING_AVERAGE"`)
		what = "the average " + n.name + " and the number of rows" + per
	}
	decls = append(decls, decl(`"RECORD_COUNT"`, "BIGINT"))
	sel = append(sel, `COUNT(*) OVER W1 AS "RECORD_COUNT"`)
	comment := []string{
		"Sliding window: for every row, " + what + " in the minute up to it (itself included), emitted with the row: a moving aggregate.",
		"To change: the window's range (RANGE INTERVAL '1' MINUTE PRECEDING, or ROWS 10 PRECEDING for the last rows); the aggregates; the PARTITION BY key.",
	}
	query := "SELECT STREAM " + strings.Join(sel, ", ") + "\nFROM " + s.stream +
		"\nWINDOW W1 AS (" + partition + "RANGE INTERVAL '1' MINUTE PRECEDING)"
	return Template{
		ID:          "sliding",
		Title:       "Sliding window",
		Description: s.description("For every row, " + what + " over the last minute."),
		SQL:         script(comment, createStream("DESTINATION_SQL_STREAM", decls...), pump("STREAM_PUMP", "DESTINATION_SQL_STREAM", query)),
	}
}

// forest is the RANDOM_CUT_FOREST call over a cursor, its parameters
// spelled out (the service's defaults) so that they are easy to change.
func forest(cursor string) string {
	return "FROM TABLE(RANDOM_CUT_FOREST(\n" +
		"    CURSOR(" + cursor + "),\n" +
		"    100,    -- numberOfTrees\n" +
		"    256,    -- subSampleSize: the first rows score 0 while the forest learns\n" +
		"    100000, -- timeDecay: how many recent rows the forest remembers\n" +
		"    1       -- shingleSize: > 1 scores runs of consecutive rows\n" +
		"))"
}

func (s schema) anomaly() Template {
	t := Template{ID: "anomaly", Title: "Anomaly detection"}
	tail := []string{
		"Scores stay 0 for the first rows (subSampleSize) while the forest learns.",
		"To change: the forest's parameters; keep only anomalies with WHERE \"ANOMALY_SCORE\" > 2 (say) after the FROM TABLE(...).",
	}
	var decls, pass []string
	if s.key != nil {
		decls = append(decls, decl(s.key.name, s.key.sqlType))
		pass = append(pass, s.key.name)
	}
	if len(s.nums) > 0 {
		var scored []string
		for _, n := range s.nums {
			decls = append(decls, decl(n.name, n.scoredType()))
			pass = append(pass, n.name)
			scored = append(scored, n.scored())
		}
		cursorCols := scored
		if s.key != nil {
			cursorCols = append([]string{s.key.name}, scored...)
		}
		nums := strings.Join(names(s.nums), ", ")
		decls = append(decls, decl(`"ANOMALY_SCORE"`, "DOUBLE"))
		query := "SELECT STREAM " + strings.Join(append(pass, `"ANOMALY_SCORE"`), ", ") + "\n" +
			forest("SELECT STREAM "+strings.Join(cursorCols, ", ")+" FROM "+s.stream)
		t.Description = s.description("Scores every row with RANDOM_CUT_FOREST over " + nums + ": the higher ANOMALY_SCORE, the more unusual the row.")
		t.SQL = script(append([]string{
			"Anomaly detection: every row with an ANOMALY_SCORE from RANDOM_CUT_FOREST over its numeric columns (" + nums + "); the higher, the more unusual. Numeric columns in the CURSOR are scored, the others pass through.",
		}, tail...), createStream("DESTINATION_SQL_STREAM", decls...), pump("STREAM_PUMP", "DESTINATION_SQL_STREAM", query))
		return t
	}
	// No numeric column: score how many rows (per key) each 10-second
	// window has, as the clickstream lab scores its click counts.
	per := ""
	var group []string
	if s.key != nil {
		per = " per " + s.key.name
		group = append(group, s.key.name)
	}
	group = append(group, s.step())
	counts := append(append([]string{}, decls...), decl(`"RECORD_COUNT"`, "DOUBLE"))
	countQuery := "SELECT STREAM " + strings.Join(append(append([]string{}, pass...), `COUNT(*) AS "RECORD_COUNT"`), ", ") +
		"\nFROM " + s.stream + "\nGROUP BY " + strings.Join(group, ", ")
	decls = append(counts, decl(`"ANOMALY_SCORE"`, "DOUBLE"))
	query := "SELECT STREAM " + strings.Join(append(append(pass, `"RECORD_COUNT"`), `"ANOMALY_SCORE"`), ", ") + "\n" +
		forest(`SELECT STREAM * FROM "COUNT_STREAM"`)
	t.Description = s.description("The input has no numeric column, so RANDOM_CUT_FOREST scores the number of rows" + per + " in each 10-second window: the higher ANOMALY_SCORE, the more unusual the count.")
	t.SQL = script(append([]string{
		"Anomaly detection: the input has no numeric column, so this counts the rows" + per + " in each 10-second window (COUNT_STREAM) and scores each count with RANDOM_CUT_FOREST: the higher ANOMALY_SCORE, the more unusual the count.",
	}, tail...),
		createStream("COUNT_STREAM", counts...), pump("COUNT_PUMP", "COUNT_STREAM", countQuery),
		createStream("DESTINATION_SQL_STREAM", decls...), pump("STREAM_PUMP", "DESTINATION_SQL_STREAM", query))
	return t
}

// hotspots needs numeric columns: two make the usual two-dimensional
// hotspots, one gives dense ranges of its values, none leaves it out.
func (s schema) hotspots() (Template, bool) {
	if len(s.nums) == 0 {
		return Template{}, false
	}
	pts := s.nums[:min(len(s.nums), 2)]
	var decls, pass, cursor []string
	if s.key != nil {
		decls = append(decls, decl(s.key.name, s.key.sqlType))
		pass = append(pass, s.key.name)
		cursor = append(cursor, s.key.name)
	}
	for _, n := range pts {
		decls = append(decls, decl(n.name, n.scoredType()))
		pass = append(pass, n.name)
		cursor = append(cursor, n.scored())
	}
	decls = append(decls, decl(`"HOTSPOTS_RESULT"`, "VARCHAR(10000)"))
	cols := strings.Join(names(pts), ", ")
	query := "SELECT STREAM " + strings.Join(append(pass, `"HOTSPOTS_RESULT"`), ", ") + "\n" +
		"FROM TABLE(HOTSPOTS(\n" +
		"    CURSOR(SELECT STREAM " + strings.Join(cursor, ", ") + " FROM " + s.stream + "),\n" +
		"    100, -- windowSize: the last rows looked at (100 to 1000)\n" +
		"    1,   -- scanRadius: how close neighbours in a hotspot are, in the columns' units\n" +
		"    5    -- minimumNumberOfPointsInAHotspot\n" +
		"))"
	what := "Finds dense regions of (" + cols + ") among the last 100 rows with HOTSPOTS; every row passes with HOTSPOTS_RESULT, a JSON list of the hotspots."
	comment := []string{
		"Hotspots: dense regions of (" + cols + ") among the last 100 rows (HOTSPOTS). Every row passes with HOTSPOTS_RESULT, JSON listing each hotspot's bounds per column, densest first:",
		`{"hotspots":[{"density":...,"minValues":[...],"maxValues":[...]}]}`,
	}
	if len(pts) == 1 {
		what += " The input has only one numeric column, so a hotspot is a range of its values; HOTSPOTS usually looks at two."
		comment = append(comment, "The input has one numeric column: a hotspot is a range of its values.")
	}
	comment = append(comment,
		"To change: the columns (numeric ones make the points, others pass through); scanRadius to the scale of your values; the window and minimum points.")
	return Template{
		ID:          "hotspots",
		Title:       "Hotspots",
		Description: s.description(what),
		SQL:         script(comment, createStream("DESTINATION_SQL_STREAM", decls...), pump("STREAM_PUMP", "DESTINATION_SQL_STREAM", query)),
	}, true
}

func upperFirst(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// String is the template as a reviewer reads it: a header, then its SQL.
func (t Template) String() string {
	return fmt.Sprintf("-- ==== %s: %s\n%s%s", t.ID, t.Title, script([]string{t.Description}), t.SQL)
}
