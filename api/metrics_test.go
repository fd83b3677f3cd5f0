package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/riffle-sql/riffle/app"
)

// getJSON GETs url and decodes its JSON answer into v when it is a 200.
func getJSON(t *testing.T, url string, v any) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s: %v: %s", url, err, body)
		}
	}
	return resp.StatusCode, string(body)
}

// TestTheFunctionsOutputsMayName: the server lists the functions it was
// started with, sorted.
func TestTheFunctionsOutputsMayName(t *testing.T) {
	url := serverWith(t, app.Options{Functions: functions("zeta", "alerts", "notify")})
	var names []string
	if status, body := getJSON(t, url+"/riffle/v1/functions", &names); status != http.StatusOK {
		t.Fatalf("functions: %d %s", status, body)
	}
	if want := []string{"alerts", "notify", "zeta"}; len(names) != 3 || names[0] != want[0] || names[1] != want[1] || names[2] != want[2] {
		t.Fatalf("functions %v, want %v", names, want)
	}
	none := serverWith(t, app.Options{})
	if status, body := getJSON(t, none+"/riffle/v1/functions", &names); status != http.StatusOK || len(names) != 0 || body != "[]\n" {
		t.Fatalf("no functions: %d %s", status, body)
	}
}

// TestPlannedStreamsOfAStoppedApplication: with ?planned=true the streams
// list names the streams the code declares, its input first and
// error_stream last, though the application does not run (without it, a
// stopped application is still a conflict); an application without code
// is a conflict, an unknown one a 404.
func TestPlannedStreamsOfAStoppedApplication(t *testing.T) {
	url := serverWith(t, app.Options{})
	two := `CREATE STREAM \"MID\" (v INTEGER); CREATE STREAM \"OUT\" (v INTEGER);` +
		` CREATE PUMP p AS INSERT INTO \"MID\" SELECT STREAM \"v\" FROM \"SOURCE_SQL_STREAM_001\";` +
		` CREATE PUMP q AS INSERT INTO \"OUT\" SELECT STREAM v FROM \"MID\";`
	if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"a","ApplicationCode":"`+two+`",`+input+`}`); status != 200 {
		t.Fatalf("create: %v", out)
	}
	if status, out := call(t, url, "CreateApplication", `{"ApplicationName":"empty"}`); status != 200 {
		t.Fatalf("create: %v", out)
	}
	var names []string
	if status, body := getJSON(t, url+"/riffle/v1/applications/a/streams?planned=true", &names); status != http.StatusOK {
		t.Fatalf("planned streams: %d %s", status, body)
	}
	want := []string{"SOURCE_SQL_STREAM_001", "MID", "OUT", "error_stream"}
	if len(names) != len(want) {
		t.Fatalf("planned streams %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("planned streams %v, want %v", names, want)
		}
	}
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/riffle/v1/applications/a/streams", http.StatusConflict},
		{"/riffle/v1/applications/empty/streams?planned=true", http.StatusConflict},
		{"/riffle/v1/applications/nope/streams?planned=true", http.StatusNotFound},
	} {
		if status, body := getJSON(t, url+c.path, &names); status != c.status {
			t.Errorf("%s: %d %s, want %d", c.path, status, body, c.status)
		}
	}
}
