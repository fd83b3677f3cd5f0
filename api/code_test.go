package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// rows is an in-process Lambda function keeping the rows it is sent.
type rows struct {
	mu   sync.Mutex
	data []string
}

func (f *rows) Invoke(_ context.Context, e destination.Event) (destination.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var r destination.Response
	for _, rec := range e.Records {
		f.data = append(f.data, string(rec.Data))
		r.Records = append(r.Records, destination.Result{RecordID: rec.RecordID, Result: destination.Ok})
	}
	return r, nil
}

func (f *rows) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.data)
}

// TestARunningApplicationsCodeCannotBeRemoved: UpdateApplication with
// empty (or blank) code on a RUNNING application is refused with a
// CodeValidationException and changes nothing: the application keeps
// running its code. A stopped application may have its code emptied, as
// it may be created without code.
func TestARunningApplicationsCodeCannotBeRemoved(t *testing.T) {
	out := &rows{}
	srv := servertest.Start(t, server.Config{Apps: app.Options{Functions: map[string]destination.Function{"out": out}}})
	streamlogtest.Create(t, srv.Log, streamlogtest.Stream{Name: "in", Kind: "firehose", Shards: 1})
	ok := func(op, body string) map[string]any {
		t.Helper()
		status, res := call(t, srv.URL, op, body)
		if status != 200 {
			t.Fatalf("%s: %d %v", op, status, res)
		}
		return res
	}
	detail := func() map[string]any {
		return ok("DescribeApplication", `{"ApplicationName":"a"}`)["ApplicationDetail"].(map[string]any)
	}
	ok("CreateApplication", `{"ApplicationName":"a","ApplicationCode":"`+code+`",`+input+`,
"Outputs":[{"Name":"OUT","LambdaOutput":{"ResourceARN":"arn:aws:lambda:us-east-1:000000000000:function:out"},"DestinationSchema":{"RecordFormatType":"JSON"}}]}`)
	ok("StartApplication", `{"ApplicationName":"a","InputConfigurations":[{"Id":"1.1","InputStartingPositionConfiguration":{"InputStartingPosition":"NOW"}}]}`)
	poll.Until(t, time.Minute, func() (bool, string) {
		s := detail()["ApplicationStatus"]
		return s == "RUNNING", fmt.Sprintf("status %v", s)
	})
	before := detail()
	for _, empty := range []string{"", " \n "} {
		status, res := call(t, srv.URL, "UpdateApplication", fmt.Sprintf(`{"ApplicationName":"a","CurrentApplicationVersionId":%v,"ApplicationUpdate":{"ApplicationCodeUpdate":%q}}`,
			before["ApplicationVersionId"], empty))
		if status != 400 || res["__type"] != "CodeValidationException" || !strings.Contains(fmt.Sprint(res["message"]), "stop it first") {
			t.Errorf("code %q on a running application: %d %v, want a 400 CodeValidationException saying to stop it first", empty, status, res)
		}
	}
	after := detail()
	if after["ApplicationStatus"] != "RUNNING" || after["ApplicationCode"] != before["ApplicationCode"] || after["ApplicationVersionId"] != before["ApplicationVersionId"] {
		t.Fatalf("after the refused updates: %v %v version %v, want RUNNING with its code, version %v",
			after["ApplicationStatus"], after["ApplicationCode"], after["ApplicationVersionId"], before["ApplicationVersionId"])
	}
	if _, err := srv.Log.Append(context.Background(), "in", 0, []streamlog.Record{{Data: []byte(`{"v": 7}`), Arrival: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, time.Minute, func() (bool, string) {
		got := out.all()
		return len(got) == 1 && strings.Contains(got[0], "7"), fmt.Sprintf("rows %q", got)
	})

	ok("StopApplication", `{"ApplicationName":"a"}`)
	poll.Until(t, time.Minute, func() (bool, string) {
		s := detail()["ApplicationStatus"]
		return s == "READY", fmt.Sprintf("status %v", s)
	})
	ok("UpdateApplication", fmt.Sprintf(`{"ApplicationName":"a","CurrentApplicationVersionId":%v,"ApplicationUpdate":{"ApplicationCodeUpdate":""}}`, detail()["ApplicationVersionId"]))
	if c := detail()["ApplicationCode"]; c != "" {
		t.Errorf("a stopped application's code after emptying it: %q", c)
	}
}
