package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/app"
)

// forestCode is an application scoring cols copies of v, once per
// parameter list given, each forest in a pump of its own.
func forestCode(cols int, params ...string) string {
	var sel []string
	for i := range cols {
		sel = append(sel, fmt.Sprintf(`\"v\" + %d AS c%d`, i, i))
	}
	var b strings.Builder
	for i, p := range params {
		fmt.Fprintf(&b, `CREATE STREAM \"OUT%d\" (c0 INTEGER, ANOMALY_SCORE DOUBLE);\n`, i)
		fmt.Fprintf(&b, `CREATE PUMP p%d AS INSERT INTO \"OUT%d\" SELECT STREAM c0, ANOMALY_SCORE FROM TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM %s FROM \"SOURCE_SQL_STREAM_001\")%s));\n`,
			i, i, strings.Join(sel, ", "), p)
	}
	return b.String()
}

// TestForestsBeyondTheServersMemoryAreRefused: the service's ranges let one
// RANDOM_CUT_FOREST hold about 10 GiB (1,000 trees of 1,000 points of 30
// columns shingled 30 times), which one CreateApplication used to have the
// server allocate while checking the code. The forests of an application
// are bounded together (2 GiB by default): beyond, CodeValidationException
// names the call, its size and the bound, and nothing is stored; within,
// the application is created.
func TestForestsBeyondTheServersMemoryAreRefused(t *testing.T) {
	url := serverWith(t, app.Options{})
	huge := forestCode(30, ", 1000, 1000, 100000, 30")
	status, out := call(t, url, "CreateApplication", `{"ApplicationName":"huge","ApplicationCode":"`+huge+`",`+input+`}`)
	msg := fmt.Sprint(out["message"])
	if status != 400 || out["__type"] != "CodeValidationException" || !strings.Contains(msg, "RANDOM_CUT_FOREST") || !strings.Contains(msg, "2048.0 MiB") {
		t.Fatalf("a 10 GiB forest: %d %v, want CodeValidationException naming the call and the bound", status, out)
	}
	if _, out := call(t, url, "DescribeApplication", `{"ApplicationName":"huge"}`); out["__type"] != "ResourceNotFoundException" {
		t.Fatalf("the refused application exists: %v", out)
	}

	// Two forests of about 1.1 GiB: the first fits, the second does not,
	// and the error is at the second's line.
	two := forestCode(30, ", 1000, 1000, 100000, 3", ", 1000, 1000, 100000, 3")
	status, out = call(t, url, "CreateApplication", `{"ApplicationName":"two","ApplicationCode":"`+two+`",`+input+`}`)
	if msg := fmt.Sprint(out["message"]); status != 400 || out["__type"] != "CodeValidationException" || !strings.Contains(msg, "4:") {
		t.Fatalf("two forests of 1.1 GiB: %d %v, want CodeValidationException at line 4", status, out)
	}

	one := forestCode(30, ", 1000, 1000, 100000, 3")
	if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"one","ApplicationCode":"`+one+`",`+input+`}`); status != 200 {
		t.Fatalf("one forest of 1.1 GiB: %d %v", status, out)
	}
	status, out = call(t, url, "UpdateApplication", `{"ApplicationName":"one","CurrentApplicationVersionId":1,"ApplicationUpdate":{"ApplicationCodeUpdate":"`+huge+`"}}`)
	if status != 400 || out["__type"] != "CodeValidationException" {
		t.Fatalf("an update to a 10 GiB forest: %d %v", status, out)
	}

	// A server given a larger bound takes what this one refused.
	roomy := serverWith(t, app.Options{ForestMemory: 3 << 30})
	if status, out := call(t, roomy, "CreateApplication", `{"ApplicationName":"two","ApplicationCode":"`+two+`",`+input+`}`); status != 200 {
		t.Fatalf("two forests of 1.1 GiB under a 3 GiB bound: %d %v", status, out)
	}
}
