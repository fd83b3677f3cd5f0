package sqltemplates_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/runner"
	"github.com/riffle-sql/riffle/sqltemplates"
)

var update = flag.Bool("update", false, "rewrite testdata goldens")

// schemas are the inputs the templates are tried on: the clickstream lab's
// (discovered from its payloads: no numeric column), none at all (the
// templates fall back to the stock ticker), a lone integer column, and a
// DECIMAL (which the forest and HOTSPOTS read as DOUBLE) among others.
var schemas = []struct {
	name    string
	columns []record.RecordColumn
	ids     []string
}{
	{"lab", []record.RecordColumn{
		{Name: "browseraction", SqlType: "VARCHAR(16)", Mapping: "$.browseraction"},
		{Name: "site", SqlType: "VARCHAR(64)", Mapping: "$.site"},
	}, []string{"filter", "tumbling", "sliding", "anomaly"}},
	{"ticker", nil, []string{"filter", "tumbling", "sliding", "anomaly", "hotspots"}},
	{"numeric", []record.RecordColumn{
		{Name: "reading", SqlType: "INTEGER", Mapping: "$.reading"},
	}, []string{"filter", "tumbling", "sliding", "anomaly", "hotspots"}},
	{"mixed", []record.RecordColumn{
		{Name: "at", SqlType: "TIMESTAMP", Mapping: "$.at"},
		{Name: "amount", SqlType: "DECIMAL(8,2)", Mapping: "$.amount"},
		{Name: "customer", SqlType: "VARCHAR(8)", Mapping: "$.customer"},
		{Name: "qty", SqlType: "BIGINT", Mapping: "$.qty"},
	}, []string{"filter", "tumbling", "sliding", "anomaly", "hotspots"}},
}

func schemaOf(columns []record.RecordColumn) record.Schema {
	if len(columns) == 0 {
		columns = sqltemplates.TickerColumns()
	}
	return record.Schema{RecordFormat: record.RecordFormat{RecordFormatType: record.JSON}, RecordColumns: columns}
}

// records is a replay of n records one second apart, with values for each
// column: strings from a few keys and the empty one, numbers of both
// signs from a few values (so that points gather in hotspots).
func records(columns []record.RecordColumn, n int) string {
	keys := []string{"Click", "Impression", "AMZN", ""}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	for i := range n {
		data := map[string]any{}
		for j, c := range columns {
			switch {
			case strings.HasPrefix(c.SqlType, "VARCHAR"):
				data[c.Name] = keys[(i+j)%len(keys)]
			case c.SqlType == "TIMESTAMP":
				data[c.Name] = start.Add(time.Duration(i) * time.Second).Format("2006-01-02 15:04:05")
			default:
				data[c.Name] = (i*7+j*3)%5 - 1
			}
		}
		line, _ := json.Marshal(map[string]any{"arrival": start.Add(time.Duration(i) * time.Second), "data": data})
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestTemplatesSaveAndRun: for each schema the expected templates come,
// in order; each passes the check UpdateApplication makes of the code
// (compile.Plan against the input) and, run over 40 records, fills
// DESTINATION_SQL_STREAM with what it says it does.
func TestTemplatesSaveAndRun(t *testing.T) {
	const n = 40
	for _, sc := range schemas {
		t.Run(sc.name, func(t *testing.T) {
			schema := schemaOf(sc.columns)
			recs := records(schema.RecordColumns, n)
			ts := sqltemplates.For(sc.columns)
			var ids []string
			for _, tm := range ts {
				ids = append(ids, tm.ID)
			}
			if strings.Join(ids, ",") != strings.Join(sc.ids, ",") {
				t.Fatalf("templates %v, want %v", ids, sc.ids)
			}
			for _, tm := range ts {
				if tm.Title == "" || tm.Description == "" {
					t.Errorf("%s: no title or description", tm.ID)
				}
				if sc.columns == nil && !strings.Contains(tm.Description, "stock-ticker") {
					t.Errorf("%s: the description does not say the columns are the ticker's: %s", tm.ID, tm.Description)
				}
				if _, err := compile.Plan(compile.Options{SQL: tm.SQL, Schema: schema, Application: "templates"}); err != nil {
					t.Errorf("%s does not save: %v\n%s", tm.ID, err, tm.SQL)
					continue
				}
				var out strings.Builder
				if err := runner.Run(runner.Options{SQL: tm.SQL, Schema: &schema, Application: "templates"}, strings.NewReader(recs), &out); err != nil {
					t.Errorf("%s does not run: %v", tm.ID, err)
					continue
				}
				rows := decode(t, out.String())
				if len(rows) == 0 {
					t.Errorf("%s: no rows in DESTINATION_SQL_STREAM", tm.ID)
					continue
				}
				check(t, tm.ID, rows, n)
			}
		})
	}
}

func decode(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("row %q: %v", sc.Text(), err)
		}
		rows = append(rows, row)
	}
	return rows
}

// check asserts what each template's comment promises of its rows.
func check(t *testing.T, id string, rows []map[string]any, n int) {
	t.Helper()
	switch id {
	case "filter":
		if len(rows) >= n {
			t.Errorf("filter kept %d rows of %d: it filters nothing", len(rows), n)
		}
	case "tumbling":
		total := 0.0
		for _, r := range rows {
			total += r["RECORD_COUNT"].(float64)
		}
		if total != float64(n) {
			t.Errorf("tumbling windows count %v rows in all, want %d", total, n)
		}
		if len(rows) < n/10 {
			t.Errorf("tumbling: %d rows, want one per key at least for each of the %d windows", len(rows), n/10)
		}
	case "sliding":
		if len(rows) != n {
			t.Errorf("sliding: %d rows, want one per record (%d)", len(rows), n)
		}
	case "anomaly":
		for _, r := range rows {
			if _, ok := r["ANOMALY_SCORE"].(float64); !ok {
				t.Fatalf("anomaly row without a score: %v", r)
			}
		}
	case "hotspots":
		if len(rows) != n {
			t.Errorf("hotspots: %d rows, want every record's (%d)", len(rows), n)
		}
		last, _ := rows[len(rows)-1]["HOTSPOTS_RESULT"].(string)
		if !strings.Contains(last, `"density"`) {
			t.Errorf("hotspots found none over %d records of few values: %s", n, last)
		}
	}
}

// TestTemplatesMatchGolden keeps the generated SQL where a reviewer reads
// it: testdata/SCHEMA.sql (rewrite with -update after reading the diff).
func TestTemplatesMatchGolden(t *testing.T) {
	for _, sc := range schemas {
		var b strings.Builder
		for i, tm := range sqltemplates.For(sc.columns) {
			if i > 0 {
				b.WriteString("\n")
			}
			fmt.Fprint(&b, tm)
		}
		path := filepath.Join("testdata", sc.name+".sql")
		if *update {
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to write it)", err)
		}
		if b.String() != string(want) {
			t.Errorf("%s: the templates changed; read the diff of go test -update ./sqltemplates:\n%s", path, b.String())
		}
	}
}

// TestAnotherInputName: an input named otherwise is read by its own name.
func TestAnotherInputName(t *testing.T) {
	schema := schemaOf(nil)
	for _, tm := range sqltemplates.ForStream("TICKS_001", nil) {
		if _, err := compile.Plan(compile.Options{SQL: tm.SQL, Inputs: []string{"TICKS_001"}, Schema: schema}); err != nil {
			t.Errorf("%s does not save over TICKS_001: %v", tm.ID, err)
		}
	}
}
