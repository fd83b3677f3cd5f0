// Command rowfn is a Lambda function (aws-lambda-go) for tests of Kinesis
// Data Analytics outputs, run by the Lambda runtime interface emulator. It
// appends every record of every invocation, as a JSON line
// {"recordId","data","retryHint","result"}, to the file $ROWS_FILE, and
// answers Ok for each, except: the first $FAIL_FIRST invocations fail as a
// whole (an unhandled error), and every $REFUSE_EVERY-th record it sees is
// answered DeliveryFailed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Records []struct {
		RecordID string `json:"recordId"`
		Data     []byte `json:"data"`
		Metadata struct {
			RetryHint int `json:"retryHint"`
		} `json:"lambdaDeliveryRecordMetadata"`
	} `json:"records"`
}

type result struct {
	RecordID string `json:"recordId"`
	Result   string `json:"result"`
}

type response struct {
	Records []result `json:"records"`
}

type line struct {
	RecordID  string `json:"recordId"`
	Data      string `json:"data"`
	RetryHint int    `json:"retryHint"`
	Result    string `json:"result"`
}

func main() {
	failFirst, _ := strconv.Atoi(os.Getenv("FAIL_FIRST"))
	refuseEvery, _ := strconv.Atoi(os.Getenv("REFUSE_EVERY"))
	var mu sync.Mutex
	invocations, seen := 0, 0
	lambda.Start(func(_ context.Context, e event) (response, error) {
		mu.Lock()
		defer mu.Unlock()
		invocations++
		if invocations <= failFirst {
			return response{}, errors.New("failing on purpose")
		}
		f, err := os.OpenFile(os.Getenv("ROWS_FILE"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return response{}, err
		}
		defer f.Close()
		var resp response
		for _, r := range e.Records {
			seen++
			res := "Ok"
			if refuseEvery > 0 && seen%refuseEvery == 0 {
				res = "DeliveryFailed"
			}
			b, _ := json.Marshal(line{RecordID: r.RecordID, Data: string(r.Data), RetryHint: r.Metadata.RetryHint, Result: res})
			if _, err := f.Write(append(b, '\n')); err != nil {
				return response{}, err
			}
			resp.Records = append(resp.Records, result{RecordID: r.RecordID, Result: res})
		}
		return resp, f.Sync()
	})
}
