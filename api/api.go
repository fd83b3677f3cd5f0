// Package api is the management side of riffle serve: the Kinesis Data
// Analytics API (KinesisAnalytics_20150814) over the application manager,
// served through the ingestion server's JSON 1.1 front door, and the HTTP
// tap that streams an application's in-application stream.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/ingest"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/streamlog"
)

// Target is the management API's X-Amz-Target prefix.
const Target = "KinesisAnalytics_20150814"

// API serves the management operations.
type API struct {
	apps    *app.Manager
	log     *streamlog.Log
	region  string
	account string
}

// New makes the API over an application manager.
func New(m *app.Manager, l *streamlog.Log, region, account string) *API {
	if region == "" {
		region = "us-east-1"
	}
	if account == "" {
		account = "000000000000"
	}
	return &API{apps: m, log: l, region: region, account: account}
}

// Operations are the handlers to register on the ingestion server.
func (a *API) Operations() map[string]ingest.Operation {
	return map[string]ingest.Operation{
		"CreateApplication":   a.create,
		"DescribeApplication": a.describe,
		"ListApplications":    a.list,
		"UpdateApplication":   a.update,
		"DeleteApplication":   a.delete,
		"StartApplication":    a.start,
		"StopApplication":     a.stop,
		"DiscoverInputSchema": a.discover,
	}
}

// fail maps the manager's errors to the service's exceptions.
func fail(err error) error {
	var sql ast.ErrorList
	switch {
	case errors.As(err, &sql):
		return ingest.Errorf(http.StatusBadRequest, "CodeValidationException", "%s", strings.ReplaceAll(sql.Error(), "\n", "; "))
	case errors.Is(err, app.ErrNotFound):
		return ingest.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "%v", err)
	case errors.Is(err, app.ErrInUse):
		return ingest.Errorf(http.StatusBadRequest, "ResourceInUseException", "%v", err)
	case errors.Is(err, app.ErrVersion):
		return ingest.Errorf(http.StatusBadRequest, "ConcurrentModificationException", "%v", err)
	case errors.Is(err, app.ErrInvalid):
		return ingest.Errorf(http.StatusBadRequest, "InvalidArgumentException", "%v", err)
	}
	return err
}

func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return ingest.Errorf(http.StatusBadRequest, "SerializationException", "the request is not valid JSON for this operation: %v", err)
	}
	return nil
}

func (a *API) arn(name string) string {
	return fmt.Sprintf("arn:aws:kinesisanalytics:%s:%s:application/%s", a.region, a.account, name)
}

// source reads a stream ARN: a Firehose delivery stream or a Kinesis stream.
func source(arn string) (name, kind string, err error) {
	switch {
	case strings.Contains(arn, ":deliverystream/"):
		return arn[strings.LastIndex(arn, "/")+1:], "firehose", nil
	case strings.Contains(arn, ":stream/"):
		return arn[strings.LastIndex(arn, "/")+1:], "kinesis", nil
	}
	return "", "", ingest.Errorf(http.StatusBadRequest, "InvalidArgumentException", "ResourceARN %q is neither a Firehose delivery stream nor a Kinesis stream", arn)
}

type streamInput struct {
	ResourceARN string `json:",omitempty"`
	RoleARN     string `json:",omitempty"`
}

type inputShape struct {
	InputId                            string               `json:",omitempty"`
	NamePrefix                         string               `json:",omitempty"`
	InAppStreamNames                   []string             `json:",omitempty"`
	KinesisFirehoseInput               *streamInput         `json:",omitempty"`
	KinesisStreamsInput                *streamInput         `json:",omitempty"`
	KinesisFirehoseInputDescription    *streamInput         `json:",omitempty"`
	KinesisStreamsInputDescription     *streamInput         `json:",omitempty"`
	InputParallelism                   *struct{ Count int } `json:",omitempty"`
	InputSchema                        *record.Schema       `json:",omitempty"`
	InputStartingPositionConfiguration map[string]string    `json:",omitempty"`
}

func (a *API) create(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ApplicationName        string
		ApplicationDescription string
		ApplicationCode        string
		Inputs                 []inputShape
		Outputs                []json.RawMessage
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	def := app.Application{Name: req.ApplicationName, Description: req.ApplicationDescription, Code: req.ApplicationCode}
	for _, in := range req.Inputs {
		var src *streamInput
		switch {
		case in.KinesisFirehoseInput != nil:
			src = in.KinesisFirehoseInput
		case in.KinesisStreamsInput != nil:
			src = in.KinesisStreamsInput
		default:
			return nil, ingest.Errorf(http.StatusBadRequest, "InvalidArgumentException", "an input needs KinesisFirehoseInput or KinesisStreamsInput")
		}
		name, kind, err := source(src.ResourceARN)
		if err != nil {
			return nil, err
		}
		if in.InputSchema == nil {
			return nil, ingest.Errorf(http.StatusBadRequest, "InvalidArgumentException", "an input needs InputSchema")
		}
		parallelism := 1
		if in.InputParallelism != nil {
			parallelism = in.InputParallelism.Count
		}
		def.Inputs = append(def.Inputs, app.Input{NamePrefix: in.NamePrefix, Source: name, Kind: kind, Schema: *in.InputSchema, Parallelism: parallelism})
	}
	for _, out := range req.Outputs {
		var o struct{ Name string }
		json.Unmarshal(out, &o)
		def.Outputs = append(def.Outputs, app.Output{Name: o.Name, Destination: out})
	}
	created, err := a.apps.Create(ctx, def)
	if err != nil {
		return nil, fail(err)
	}
	return map[string]any{"ApplicationSummary": a.summary(created)}, nil
}

func (a *API) summary(def app.Application) map[string]string {
	return map[string]string{"ApplicationName": def.Name, "ApplicationARN": a.arn(def.Name), "ApplicationStatus": def.Status}
}

func (a *API) describe(ctx context.Context, body []byte) (any, error) {
	var req struct{ ApplicationName string }
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	def, err := a.apps.Get(ctx, req.ApplicationName)
	if err != nil {
		return nil, fail(err)
	}
	inputs := []inputShape{}
	for _, in := range def.Inputs {
		schema := in.Schema
		desc := inputShape{InputId: in.ID, NamePrefix: in.NamePrefix, InAppStreamNames: []string{in.StreamName()},
			InputSchema: &schema, InputParallelism: &struct{ Count int }{in.Parallelism}, InputStartingPositionConfiguration: map[string]string{}}
		if in.StartingPosition != "" {
			desc.InputStartingPositionConfiguration["InputStartingPosition"] = in.StartingPosition
		}
		arnOf := &streamInput{ResourceARN: fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", a.region, a.account, in.Source)}
		if in.Kind == "firehose" {
			arnOf.ResourceARN = fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", a.region, a.account, in.Source)
			desc.KinesisFirehoseInputDescription = arnOf
		} else {
			desc.KinesisStreamsInputDescription = arnOf
		}
		inputs = append(inputs, desc)
	}
	outputs := []map[string]any{}
	for _, out := range def.Outputs {
		var o map[string]any
		json.Unmarshal(out.Destination, &o)
		if o == nil {
			o = map[string]any{}
		}
		o["OutputId"] = out.ID
		outputs = append(outputs, o)
	}
	return map[string]any{"ApplicationDetail": map[string]any{
		"ApplicationName":                 def.Name,
		"ApplicationDescription":          def.Description,
		"ApplicationARN":                  a.arn(def.Name),
		"ApplicationStatus":               def.Status,
		"CreateTimestamp":                 seconds(def.Created),
		"LastUpdateTimestamp":             seconds(def.Updated),
		"ApplicationVersionId":            def.Version,
		"ApplicationCode":                 def.Code,
		"InputDescriptions":               inputs,
		"OutputDescriptions":              outputs,
		"ReferenceDataSourceDescriptions": []any{},
	}}, nil
}

func seconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func (a *API) list(ctx context.Context, body []byte) (any, error) {
	var req struct {
		Limit                         int
		ExclusiveStartApplicationName string
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Limit == 0 {
		req.Limit = 50
	}
	if req.Limit < 1 || req.Limit > 50 {
		return nil, ingest.Errorf(http.StatusBadRequest, "ValidationException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50", req.Limit)
	}
	apps, err := a.apps.List(ctx)
	if err != nil {
		return nil, err
	}
	out := []map[string]string{}
	more := false
	for _, def := range apps {
		if def.Name <= req.ExclusiveStartApplicationName {
			continue
		}
		if len(out) == req.Limit {
			more = true
			break
		}
		out = append(out, a.summary(def))
	}
	return map[string]any{"ApplicationSummaries": out, "HasMoreApplications": more}, nil
}

func (a *API) update(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ApplicationName             string
		CurrentApplicationVersionId int64
		ApplicationUpdate           struct {
			ApplicationCodeUpdate *string
		}
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.ApplicationUpdate.ApplicationCodeUpdate == nil {
		return nil, ingest.Errorf(http.StatusBadRequest, "InvalidArgumentException", "only ApplicationCodeUpdate is supported so far")
	}
	if err := a.apps.UpdateCode(ctx, req.ApplicationName, req.CurrentApplicationVersionId, *req.ApplicationUpdate.ApplicationCodeUpdate); err != nil {
		return nil, fail(err)
	}
	return struct{}{}, nil
}

func (a *API) delete(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ApplicationName string
		CreateTimestamp *float64
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	var created time.Time
	if req.CreateTimestamp != nil {
		created = time.UnixMilli(int64(*req.CreateTimestamp * 1000)).UTC()
	}
	if err := a.apps.Delete(ctx, req.ApplicationName, created); err != nil {
		return nil, fail(err)
	}
	return struct{}{}, nil
}

func (a *API) start(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ApplicationName     string
		InputConfigurations []struct {
			Id                                 string
			InputStartingPositionConfiguration struct{ InputStartingPosition string }
		}
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	position := ""
	if len(req.InputConfigurations) > 0 {
		position = req.InputConfigurations[0].InputStartingPositionConfiguration.InputStartingPosition
	}
	if err := a.apps.Start(ctx, req.ApplicationName, position); err != nil {
		return nil, fail(err)
	}
	return struct{}{}, nil
}

func (a *API) stop(ctx context.Context, body []byte) (any, error) {
	var req struct{ ApplicationName string }
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := a.apps.Stop(ctx, req.ApplicationName); err != nil {
		return nil, fail(err)
	}
	return struct{}{}, nil
}

// discover samples the stream's recent records and infers their schema.
func (a *API) discover(ctx context.Context, body []byte) (any, error) {
	var req struct{ ResourceARN string }
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	name, _, err := source(req.ResourceARN)
	if err != nil {
		return nil, err
	}
	info, err := a.log.Describe(ctx, name)
	if err != nil {
		return nil, ingest.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "stream %s does not exist", name)
	}
	var samples [][]byte
	for shard := range info.Shards {
		from := streamlog.Seq{}
		if last, err := a.log.Last(ctx, name); err == nil && last > 100 {
			from = streamlog.Seq{Msg: last - 100}
		}
		recs, _, err := a.log.Read(ctx, name, shard, from, 100)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			samples = append(samples, r.Data)
		}
	}
	if len(samples) == 0 {
		return nil, ingest.Errorf(http.StatusBadRequest, "UnableToDetectSchemaException", "no records to discover a schema from in %s", name)
	}
	schema, err := record.Discover(samples)
	if err != nil {
		return nil, ingest.Errorf(http.StatusBadRequest, "UnableToDetectSchemaException", "%v", err)
	}
	mapper, err := record.NewMapper(schema)
	if err != nil {
		return nil, err
	}
	raw, parsed := []string{}, [][]any{}
	for _, s := range samples {
		raw = append(raw, string(s))
		rows, err := mapper.Map(s)
		if err != nil {
			continue
		}
		for _, row := range rows {
			vals := make([]any, len(row))
			for i, v := range row {
				if !v.Null {
					vals[i] = v.String()
				}
			}
			parsed = append(parsed, vals)
		}
	}
	return map[string]any{"InputSchema": schema, "RawInputRecords": raw, "ParsedInputRecords": parsed}, nil
}
