package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/app"
)

type template struct {
	ID, Title, Description, SQL string
}

// TestSQLTemplates: the templates of an application read its input's
// columns under its input's name, and each one is accepted as its code by
// UpdateApplication; an application without input gets the stock ticker's;
// an unknown one is a 404.
func TestSQLTemplates(t *testing.T) {
	url := serverWith(t, app.Options{})
	lab := `"Inputs":[{"NamePrefix":"CLICKS","KinesisFirehoseInput":{"ResourceARN":"arn:aws:firehose:us-east-1:000000000000:deliverystream/in"},
"InputSchema":{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[{"Name":"browseraction","SqlType":"VARCHAR(16)","Mapping":"$.browseraction"},{"Name":"site","SqlType":"VARCHAR(64)","Mapping":"$.site"}]}}]`
	for _, c := range []struct {
		name, inputs string
		ids          string
		mentions     string
	}{
		{"numbers", `,` + input, "filter,tumbling,sliding,anomaly,hotspots", `"v"`},
		{"lab", `,` + lab, "filter,tumbling,sliding,anomaly", `FROM "CLICKS_001"`},
		{"empty", ``, "filter,tumbling,sliding,anomaly,hotspots", `"TICKER_SYMBOL"`},
	} {
		if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"`+c.name+`"`+c.inputs+`}`); status != 200 {
			t.Fatalf("create %s: %v", c.name, out)
		}
		var ts []template
		status, body := getJSON(t, url+"/riffle/v1/applications/"+c.name+"/sql-templates", &ts)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", c.name, status, body)
		}
		var raw []map[string]any
		json.Unmarshal([]byte(body), &raw)
		if keys := fmt.Sprint(len(raw[0]), raw[0]["id"] != nil, raw[0]["title"] != nil, raw[0]["description"] != nil, raw[0]["sql"] != nil); keys != "4 true true true true" {
			t.Errorf("%s: a template is not {id, title, description, sql}: %v", c.name, raw[0])
		}
		var ids []string
		for _, tm := range ts {
			ids = append(ids, tm.ID)
		}
		if strings.Join(ids, ",") != c.ids {
			t.Errorf("%s: templates %v, want %s", c.name, ids, c.ids)
		}
		if !strings.Contains(ts[0].SQL, c.mentions) {
			t.Errorf("%s: the filter does not read %s:\n%s", c.name, c.mentions, ts[0].SQL)
		}
		if c.inputs == "" {
			if !strings.Contains(ts[0].Description, "stock-ticker") {
				t.Errorf("%s: the description does not say the columns are the ticker's: %s", c.name, ts[0].Description)
			}
			continue // without an input only the syntax of code is checked
		}
		for i, tm := range ts {
			sql, _ := json.Marshal(tm.SQL)
			body := fmt.Sprintf(`{"ApplicationName":%q,"CurrentApplicationVersionId":%d,"ApplicationUpdate":{"ApplicationCodeUpdate":%s}}`, c.name, i+1, sql)
			if status, out := call(t, url, "UpdateApplication", body); status != 200 {
				t.Fatalf("%s: template %s refused as code: %d %v", c.name, tm.ID, status, out)
			}
		}
	}
	status, body := getJSON(t, url+"/riffle/v1/applications/nope/sql-templates", nil)
	if status != http.StatusNotFound || strings.HasPrefix(strings.TrimSpace(body), "{") {
		t.Errorf("unknown application: %d %q, want 404 and a plain message", status, body)
	}
}
