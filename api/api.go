// Package api is the management side of riffle serve: the Kinesis Data
// Analytics API (KinesisAnalytics_20150814) over the application manager,
// registered with the AWS JSON 1.1 front door (package awsjson) beside
// Firehose and Kinesis, and the HTTP tap that streams an application's
// in-application stream.
package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/internal/awsjson"
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
	// What MetricsPath reads (Monitor).
	gatherer prometheus.Gatherer
	clock    clockwork.Clock
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

// Operations are the handlers to register on the front door under Target.
func (a *API) Operations() map[string]awsjson.Operation {
	return map[string]awsjson.Operation{
		"CreateApplication":                    a.create,
		"DescribeApplication":                  a.describe,
		"ListApplications":                     a.list,
		"UpdateApplication":                    a.update,
		"DeleteApplication":                    a.delete,
		"StartApplication":                     a.start,
		"StopApplication":                      a.stop,
		"DiscoverInputSchema":                  a.discover,
		"AddApplicationInput":                  a.addInput,
		"AddApplicationOutput":                 a.addOutput,
		"DeleteApplicationOutput":              a.deleteOutput,
		"AddApplicationReferenceDataSource":    a.addReference,
		"DeleteApplicationReferenceDataSource": a.deleteReference,
		"TagResource":                          a.tag,
		"UntagResource":                        a.untag,
		"ListTagsForResource":                  a.listTags,
	}
}

// MaxCodeLength is the service's limit on ApplicationCode and
// ApplicationCodeUpdate, in characters: longer code is refused before it is
// parsed, so no request makes the planner's work grow past what this much
// SQL asks.
const MaxCodeLength = 102400

func checkCodeLength(code string) error {
	if n := utf8.RuneCountInString(code); n > MaxCodeLength {
		return awsjson.Errorf(http.StatusBadRequest, "CodeValidationException", "the application code is %d characters long, more than the limit of %d", n, MaxCodeLength)
	}
	return nil
}

// fail maps the manager's errors to the service's exceptions.
func fail(err error) error {
	var sql ast.ErrorList
	switch {
	case errors.As(err, &sql):
		return awsjson.Errorf(http.StatusBadRequest, "CodeValidationException", "%s", strings.ReplaceAll(sql.Error(), "\n", "; "))
	case errors.Is(err, app.ErrNoCode):
		return awsjson.Errorf(http.StatusBadRequest, "CodeValidationException", "%v", err)
	case errors.Is(err, app.ErrDamaged):
		return awsjson.Errorf(http.StatusBadRequest, "InvalidApplicationConfigurationException", "%v", err)
	case errors.Is(err, app.ErrNotFound):
		return awsjson.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "%v", err)
	case errors.Is(err, app.ErrInUse):
		return awsjson.Errorf(http.StatusBadRequest, "ResourceInUseException", "%v", err)
	case errors.Is(err, app.ErrVersion):
		return awsjson.Errorf(http.StatusBadRequest, "ConcurrentModificationException", "%v", err)
	case errors.Is(err, app.ErrTooManyTags):
		return awsjson.Errorf(http.StatusBadRequest, "TooManyTagsException", "%v", err)
	case errors.Is(err, app.ErrInvalid):
		return awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "%v", err)
	}
	return err
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
	return "", "", awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "ResourceARN %q is neither a Firehose delivery stream nor a Kinesis stream", arn)
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
		Outputs                []outputShape
		Tags                   []tagShape
		// Riffle's: the settle wait (docs/apps.md); 0 or none: the default.
		RiffleSettleMillis int64
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkCodeLength(req.ApplicationCode); err != nil {
		return nil, err
	}
	settle, err := settleOf(req.RiffleSettleMillis)
	if err != nil {
		return nil, err
	}
	def := app.Application{Name: req.ApplicationName, Description: req.ApplicationDescription, Code: req.ApplicationCode, Settle: settle}
	for _, in := range req.Inputs {
		input, err := toInput(in)
		if err != nil {
			return nil, err
		}
		def.Inputs = append(def.Inputs, input)
	}
	for _, o := range req.Outputs {
		out, err := toOutput(o)
		if err != nil {
			return nil, err
		}
		def.Outputs = append(def.Outputs, out)
	}
	if len(req.Tags) > 0 {
		def.Tags = map[string]string{}
		for _, tag := range req.Tags {
			def.Tags[tag.Key] = tag.Value
		}
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
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	def, err := a.apps.Get(ctx, req.ApplicationName)
	if err != nil {
		return nil, fail(err)
	}
	inputs := []inputShape{}
	for _, in := range def.Inputs {
		schema := in.Schema
		desc := inputShape{InputId: in.ID, NamePrefix: in.NamePrefix, InAppStreamNames: in.StreamNames(),
			InputSchema: &schema, InputParallelism: &struct{ Count int }{in.Parallelism}, InputStartingPositionConfiguration: map[string]string{}}
		if in.StartingPosition != "" {
			desc.InputStartingPositionConfiguration["InputStartingPosition"] = in.StartingPosition
		}
		arnOf := &streamInput{ResourceARN: fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", a.region, a.account, in.Source)}
		if in.ARN != "" { // another server's stream
			arnOf.ResourceARN = in.ARN
		}
		if in.Kind == "firehose" {
			arnOf.ResourceARN = fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", a.region, a.account, in.Source)
			desc.KinesisFirehoseInputDescription = arnOf
		} else {
			desc.KinesisStreamsInputDescription = arnOf
		}
		inputs = append(inputs, desc)
	}
	outputs := []outputShape{}
	for _, out := range def.Outputs {
		outputs = append(outputs, describeOutput(out))
	}
	detail := map[string]any{
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
		"ReferenceDataSourceDescriptions": a.references(def),
		// Riffle's: the settle wait in force (docs/apps.md).
		"RiffleSettleMillis": def.SettleWait().Milliseconds(),
	}
	if def.Failure != nil {
		// Riffle's: why the application stopped by itself (the service
		// has no such field; SDKs pass over a field they do not know).
		detail["RiffleFailure"] = map[string]any{"Timestamp": seconds(def.Failure.Time), "Message": def.Failure.Message}
	}
	return map[string]any{"ApplicationDetail": detail}, nil
}

// settleOf reads Riffle's RiffleSettleMillis, bounded before it becomes a
// duration (which a huge number would overflow).
func settleOf(ms int64) (time.Duration, error) {
	if ms < 0 || ms > app.MaxSettle.Milliseconds() {
		return 0, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "RiffleSettleMillis is 0 (the default, %d) to %d, not %d",
			app.DefaultSettle.Milliseconds(), app.MaxSettle.Milliseconds(), ms)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

func seconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func (a *API) list(ctx context.Context, body []byte) (any, error) {
	var req struct {
		Limit                         int
		ExclusiveStartApplicationName string
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if req.Limit == 0 {
		req.Limit = 50
	}
	if req.Limit < 1 || req.Limit > 50 {
		return nil, awsjson.Errorf(http.StatusBadRequest, "ValidationException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50", req.Limit)
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

// arnUpdate is the shape of the service's *InputUpdate and *OutputUpdate.
type arnUpdate struct{ ResourceARNUpdate, RoleARNUpdate string }

type applicationUpdate struct {
	ApplicationCodeUpdate *string
	InputUpdates          []struct {
		InputId           string
		NamePrefixUpdate  *string
		InputSchemaUpdate *struct {
			RecordFormatUpdate   *record.RecordFormat
			RecordEncodingUpdate *string
			RecordColumnUpdates  []record.RecordColumn
		}
		InputParallelismUpdate     *struct{ CountUpdate int }
		KinesisFirehoseInputUpdate *arnUpdate
		KinesisStreamsInputUpdate  *arnUpdate
	}
	OutputUpdates              []outputUpdate
	ReferenceDataSourceUpdates []struct {
		ReferenceId                 string
		TableNameUpdate             *string
		S3ReferenceDataSourceUpdate *struct{ BucketARNUpdate, FileKeyUpdate string }
		ReferenceSchemaUpdate       *record.Schema
	}
	// Riffle's: a new settle wait (docs/apps.md); 0: the default.
	RiffleSettleMillisUpdate *int64
}

func (a *API) update(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ApplicationName             string
		CurrentApplicationVersionId int64
		ApplicationUpdate           applicationUpdate
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	u := req.ApplicationUpdate
	if u.ApplicationCodeUpdate == nil && u.RiffleSettleMillisUpdate == nil && len(u.InputUpdates)+len(u.OutputUpdates)+len(u.ReferenceDataSourceUpdates) == 0 {
		return nil, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "ApplicationUpdate changes nothing")
	}
	if u.ApplicationCodeUpdate != nil {
		if err := checkCodeLength(*u.ApplicationCodeUpdate); err != nil {
			return nil, err
		}
	}
	err := a.apps.Reconfigure(ctx, req.ApplicationName, req.CurrentApplicationVersionId, func(def *app.Application) error {
		return applyUpdate(def, u)
	})
	if err != nil {
		return nil, fail(err)
	}
	return struct{}{}, nil
}

// applyUpdate applies an ApplicationUpdate to a definition.
func applyUpdate(def *app.Application, u applicationUpdate) error {
	missing := func(what, id string) error {
		return awsjson.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "application %s has no %s %s", def.Name, what, id)
	}
	if u.ApplicationCodeUpdate != nil {
		def.Code = *u.ApplicationCodeUpdate
	}
	if u.RiffleSettleMillisUpdate != nil {
		settle, err := settleOf(*u.RiffleSettleMillisUpdate)
		if err != nil {
			return err
		}
		def.Settle = settle
	}
	for _, iu := range u.InputUpdates {
		i := slices.IndexFunc(def.Inputs, func(in app.Input) bool { return in.ID == iu.InputId })
		if i < 0 {
			return missing("input", iu.InputId)
		}
		in := &def.Inputs[i]
		if iu.NamePrefixUpdate != nil {
			in.NamePrefix = *iu.NamePrefixUpdate
		}
		if su := iu.InputSchemaUpdate; su != nil {
			if su.RecordFormatUpdate != nil {
				in.Schema.RecordFormat = *su.RecordFormatUpdate
			}
			if su.RecordEncodingUpdate != nil {
				in.Schema.RecordEncoding = *su.RecordEncodingUpdate
			}
			if su.RecordColumnUpdates != nil {
				in.Schema.RecordColumns = su.RecordColumnUpdates
			}
		}
		if iu.InputParallelismUpdate != nil {
			in.Parallelism = iu.InputParallelismUpdate.CountUpdate
		}
		for _, src := range []*arnUpdate{iu.KinesisFirehoseInputUpdate, iu.KinesisStreamsInputUpdate} {
			if src != nil {
				name, kind, err := source(src.ResourceARNUpdate)
				if err != nil {
					return err
				}
				in.Source, in.Kind, in.ResourceARN = name, kind, src.ResourceARNUpdate
			}
		}
	}
	for _, ou := range u.OutputUpdates {
		i := slices.IndexFunc(def.Outputs, func(o app.Output) bool { return o.ID == ou.OutputId })
		if i < 0 {
			return missing("output", ou.OutputId)
		}
		if err := ou.apply(&def.Outputs[i]); err != nil {
			return err
		}
	}
	for _, ru := range u.ReferenceDataSourceUpdates {
		i := slices.IndexFunc(def.References, func(r app.Reference) bool { return r.ID == ru.ReferenceId })
		if i < 0 {
			return missing("reference data source", ru.ReferenceId)
		}
		ref := &def.References[i]
		if ru.TableNameUpdate != nil {
			ref.TableName = *ru.TableNameUpdate
		}
		if s3 := ru.S3ReferenceDataSourceUpdate; s3 != nil {
			if s3.BucketARNUpdate != "" {
				bucket, ok := strings.CutPrefix(s3.BucketARNUpdate, "arn:aws:s3:::")
				if !ok || bucket == "" {
					return awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "BucketARN %q is not an S3 bucket ARN", s3.BucketARNUpdate)
				}
				ref.Bucket = bucket
			}
			if s3.FileKeyUpdate != "" {
				ref.Key = s3.FileKeyUpdate
			}
		}
		if ru.ReferenceSchemaUpdate != nil {
			ref.Schema = *ru.ReferenceSchemaUpdate
		}
	}
	return nil
}

func (a *API) delete(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ApplicationName string
		CreateTimestamp *float64
	}
	if err := awsjson.Decode(body, &req); err != nil {
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
	if err := awsjson.Decode(body, &req); err != nil {
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
	if err := awsjson.Decode(body, &req); err != nil {
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
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	name, _, err := source(req.ResourceARN)
	if err != nil {
		return nil, err
	}
	samples, remote, err := a.apps.Sample(ctx, req.ResourceARN, 100)
	if errors.Is(err, app.ErrNotFound) {
		return nil, awsjson.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "%v", err)
	}
	if err != nil {
		return nil, fail(err)
	}
	var info streamlog.Info
	if !remote {
		if info, err = a.log.Describe(ctx, name); err != nil {
			return nil, awsjson.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "stream %s does not exist", name)
		}
	}
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
		return nil, awsjson.Errorf(http.StatusBadRequest, "UnableToDetectSchemaException", "no records to discover a schema from in %s", name)
	}
	schema, err := record.Discover(samples)
	if err != nil {
		return nil, awsjson.Errorf(http.StatusBadRequest, "UnableToDetectSchemaException", "%v", err)
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

// toInput reads an input of CreateApplication or AddApplicationInput.
func toInput(in inputShape) (app.Input, error) {
	var src *streamInput
	switch {
	case in.KinesisFirehoseInput != nil:
		src = in.KinesisFirehoseInput
	case in.KinesisStreamsInput != nil:
		src = in.KinesisStreamsInput
	default:
		return app.Input{}, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "an input needs KinesisFirehoseInput or KinesisStreamsInput")
	}
	name, kind, err := source(src.ResourceARN)
	if err != nil {
		return app.Input{}, err
	}
	if in.InputSchema == nil {
		return app.Input{}, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "an input needs InputSchema")
	}
	parallelism := 1
	if in.InputParallelism != nil {
		parallelism = in.InputParallelism.Count
		if parallelism < 1 || parallelism > 64 {
			return app.Input{}, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "InputParallelism Count is 1 to 64, not %d", parallelism)
		}
	}
	return app.Input{NamePrefix: in.NamePrefix, Source: name, Kind: kind, ResourceARN: src.ResourceARN, Schema: *in.InputSchema, Parallelism: parallelism}, nil
}

func (a *API) addInput(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ApplicationName             string
		CurrentApplicationVersionId int64
		Input                       inputShape
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	in, err := toInput(req.Input)
	if err != nil {
		return nil, err
	}
	return struct{}{}, fail(a.apps.AddInput(ctx, req.ApplicationName, req.CurrentApplicationVersionId, in))
}

func (a *API) addOutput(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ApplicationName             string
		CurrentApplicationVersionId int64
		Output                      *outputShape
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if req.Output == nil {
		return nil, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "Output is required")
	}
	out, err := toOutput(*req.Output)
	if err != nil {
		return nil, err
	}
	return struct{}{}, fail(a.apps.AddOutput(ctx, req.ApplicationName, req.CurrentApplicationVersionId, out))
}

func (a *API) deleteOutput(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ApplicationName             string
		CurrentApplicationVersionId int64
		OutputId                    string
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	return struct{}{}, fail(a.apps.DeleteOutput(ctx, req.ApplicationName, req.CurrentApplicationVersionId, req.OutputId))
}

type tagShape struct{ Key, Value string }

// appOf reads an application ARN of this server.
func (a *API) appOf(arn string) (string, error) {
	name, ok := strings.CutPrefix(arn, a.arn(""))
	if !ok || name == "" {
		return "", awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "ResourceARN %q is not an application of %s in %s", arn, a.account, a.region)
	}
	return name, nil
}

func (a *API) tag(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ResourceARN string
		Tags        []tagShape
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	name, err := a.appOf(req.ResourceARN)
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	for _, t := range req.Tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return nil, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "a tag key has 1 to 128 characters and its value at most 256")
		}
		tags[t.Key] = t.Value
	}
	return struct{}{}, fail(a.apps.Tag(ctx, name, tags))
}

func (a *API) untag(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ResourceARN string
		TagKeys     []string
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	name, err := a.appOf(req.ResourceARN)
	if err != nil {
		return nil, err
	}
	return struct{}{}, fail(a.apps.Untag(ctx, name, req.TagKeys))
}

func (a *API) listTags(ctx context.Context, body []byte) (any, error) {
	var req struct{ ResourceARN string }
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	name, err := a.appOf(req.ResourceARN)
	if err != nil {
		return nil, err
	}
	def, err := a.apps.Get(ctx, name)
	if err != nil {
		return nil, fail(err)
	}
	tags := []tagShape{}
	for k, v := range def.Tags {
		tags = append(tags, tagShape{k, v})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return map[string]any{"Tags": tags}, nil
}

type s3Reference struct {
	BucketARN        string
	FileKey          string
	ReferenceRoleARN string `json:",omitempty"`
}

func (a *API) references(def app.Application) []any {
	out := []any{}
	for _, r := range def.References {
		schema := r.Schema
		out = append(out, map[string]any{
			"ReferenceId": r.ID, "TableName": r.TableName, "ReferenceSchema": &schema,
			"S3ReferenceDataSourceDescription": s3Reference{BucketARN: "arn:aws:s3:::" + r.Bucket, FileKey: r.Key},
		})
	}
	return out
}

func (a *API) addReference(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ApplicationName             string
		CurrentApplicationVersionId int64
		ReferenceDataSource         struct {
			TableName             string
			S3ReferenceDataSource *s3Reference
			ReferenceSchema       *record.Schema
		}
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	src := req.ReferenceDataSource
	if src.TableName == "" || src.S3ReferenceDataSource == nil || src.ReferenceSchema == nil {
		return nil, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "a reference data source needs TableName, S3ReferenceDataSource and ReferenceSchema")
	}
	bucket, ok := strings.CutPrefix(src.S3ReferenceDataSource.BucketARN, "arn:aws:s3:::")
	if !ok || bucket == "" {
		return nil, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "BucketARN %q is not an S3 bucket ARN", src.S3ReferenceDataSource.BucketARN)
	}
	ref := app.Reference{TableName: src.TableName, Bucket: bucket, Key: src.S3ReferenceDataSource.FileKey, Schema: *src.ReferenceSchema}
	return struct{}{}, fail(a.apps.AddReference(ctx, req.ApplicationName, req.CurrentApplicationVersionId, ref))
}

func (a *API) deleteReference(ctx context.Context, body []byte) (any, error) {
	var req struct {
		ApplicationName             string
		CurrentApplicationVersionId int64
		ReferenceId                 string
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	return struct{}{}, fail(a.apps.DeleteReference(ctx, req.ApplicationName, req.CurrentApplicationVersionId, req.ReferenceId))
}
