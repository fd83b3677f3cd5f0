package destination

import "context"

// Event is what Kinesis Data Analytics sends a Lambda destination: one
// invocation with a batch of output rows.
type Event struct {
	InvocationID   string        `json:"invocationId"`
	ApplicationARN string        `json:"applicationArn"`
	Records        []EventRecord `json:"records"`
}

// EventRecord is one output row. Data is the row as the output's format
// writes it (JSON or CSV); it travels base64-encoded, as the service sends
// it. RecordID stays the same across retries and restarts.
type EventRecord struct {
	RecordID string         `json:"recordId"`
	Metadata RecordMetadata `json:"lambdaDeliveryRecordMetadata"`
	Data     []byte         `json:"data"`
}

// RecordMetadata says how many times delivery of the record failed before.
type RecordMetadata struct {
	RetryHint int `json:"retryHint"`
}

// Response is what the function must answer: a result for every record.
type Response struct {
	Records []Result `json:"records"`
}

// Result acknowledges one record.
type Result struct {
	RecordID string `json:"recordId"`
	Result   string `json:"result"`
}

// The two results a function may give a record; anything else, or no
// result, counts as DeliveryFailed.
const (
	Ok             = "Ok"
	DeliveryFailed = "DeliveryFailed"
)

// Function is a Lambda-compatible function: an HTTP endpoint, or one built
// into the server (the notifier). An error means no record was delivered.
type Function interface {
	Invoke(ctx context.Context, e Event) (Response, error)
}
