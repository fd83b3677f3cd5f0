package migrate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
)

// mapper turns one application's definition, a tree, into requests. The
// same code reads CloudFormation's shapes (Input, Output,
// ReferenceDataSource, as CreateApplication takes them) and
// describe-application's (their …Description forms).
type mapper struct {
	app  *Application
	file *File
	desc bool // describe-application shapes
}

func (m *mapper) problem(field string, blocks bool, format string, args ...any) {
	m.app.Problems = append(m.app.Problems, Problem{Field: field, Message: fmt.Sprintf(format, args...), Blocks: blocks})
}

// name of a field in the shapes being read: KinesisStreamsInput or
// KinesisStreamsInputDescription.
func (m *mapper) name(field string) string {
	if m.desc {
		return field + "Description"
	}
	return field
}

// object reads a field that must be an object.
func (m *mapper) object(v any, field string) (map[string]any, bool) {
	if u, ok := v.(unresolved); ok {
		m.problem(field, true, "%s", u)
		return nil, false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		m.problem(field, true, "want an object, not %s", compact(v))
	}
	return obj, ok
}

// str reads a string field; a missing one is "" (and a problem when
// required).
func (m *mapper) str(obj map[string]any, key, field string, required bool) (string, bool) {
	v, present := obj[key]
	field = join(field, key)
	if !present || v == nil {
		if required {
			m.problem(field, true, "missing")
			return "", false
		}
		return "", true
	}
	if u, ok := v.(unresolved); ok {
		m.problem(field, true, "%s", u)
		return "", false
	}
	s, ok := text(v)
	if !ok {
		m.problem(field, true, "want a string, not %s", compact(v))
	}
	return s, ok
}

// unknown reports the keys of obj that the shape does not have; they are
// left out.
func (m *mapper) unknown(obj map[string]any, field string, known ...string) {
	for _, k := range sortedKeys(obj) {
		if slices.Contains(known, k) {
			continue
		}
		m.problem(join(field, k), false, "not a field riffle apps import knows: left out")
	}
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// application maps an application's fields: CloudFormation's properties
// or describe-application's ApplicationDetail. The name is set by the
// caller.
func (m *mapper) application(obj map[string]any) {
	a := m.app
	a.Create.ApplicationName = aws.String(a.Name)
	if s, ok := m.str(obj, "ApplicationDescription", "", false); ok && s != "" {
		a.Create.ApplicationDescription = aws.String(s)
	}
	if s, ok := m.str(obj, "ApplicationCode", "", false); ok && s != "" {
		a.Create.ApplicationCode = aws.String(s)
	}
	inputs := "Inputs"
	known := []string{"ApplicationName", "ApplicationDescription", "ApplicationCode"}
	if m.desc {
		inputs = "InputDescriptions"
		known = append(known, "ApplicationARN", "ApplicationStatus", "ApplicationVersionId", "CreateTimestamp", "LastUpdateTimestamp",
			"OutputDescriptions", "ReferenceDataSourceDescriptions", "CloudWatchLoggingOptionDescriptions", "RiffleFailure", "RiffleSettleMillis")
	}
	known = append(known, inputs)
	m.unknown(obj, "", known...)
	for i, v := range m.list(obj, inputs) {
		if in, ok := m.input(v, fmt.Sprintf("%s[%d]", inputs, i)); ok {
			a.Create.Inputs = append(a.Create.Inputs, in)
		}
	}
	if !m.desc {
		return
	}
	// Another Riffle's settle wait (docs/apps.md, Time).
	if ms, ok := m.str(obj, "RiffleSettleMillis", "", false); ok && ms != "" {
		n, err := strconv.ParseInt(ms, 10, 64)
		if err != nil || n < 0 || n > 60000 {
			m.problem("RiffleSettleMillis", false, "%q is not a settle wait of 0 to 60000 ms: the server's default is kept", ms)
		} else {
			a.SettleMillis = &n
		}
	}
	for i, v := range m.list(obj, "OutputDescriptions") {
		out, ok := m.output(v, fmt.Sprintf("OutputDescriptions[%d]", i))
		switch {
		case !ok:
		case out.FilePath != "":
			a.Outputs = append(a.Outputs, out)
		default:
			a.Create.Outputs = append(a.Create.Outputs, out.Output)
		}
	}
	for i, v := range m.list(obj, "ReferenceDataSourceDescriptions") {
		if ref, ok := m.reference(v, fmt.Sprintf("ReferenceDataSourceDescriptions[%d]", i)); ok {
			a.References = append(a.References, ref)
		}
	}
	if logs := m.list(obj, "CloudWatchLoggingOptionDescriptions"); len(logs) > 0 {
		m.problem("CloudWatchLoggingOptionDescriptions", false, "Riffle writes application errors to riffle serve's log and its error_stream, not to CloudWatch Logs")
	}
	status, _ := m.str(obj, "ApplicationStatus", "", false)
	a.Running = status == "RUNNING"
}

// list reads a field that is a list (missing: none).
func (m *mapper) list(obj map[string]any, key string) []any {
	v, ok := obj[key]
	if !ok || v == nil {
		return nil
	}
	if u, ok := v.(unresolved); ok {
		m.problem(key, true, "%s", u)
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		m.problem(key, true, "want a list, not %s", compact(v))
	}
	return l
}

func (m *mapper) input(v any, field string) (types.Input, bool) {
	obj, ok := m.object(v, field)
	if !ok {
		return types.Input{}, false
	}
	in := types.Input{}
	good := true
	prefix, ok := m.str(obj, "NamePrefix", field, true)
	good = good && ok
	in.NamePrefix = aws.String(prefix)
	in.InputSchema, ok = m.schema(obj["InputSchema"], join(field, "InputSchema"))
	good = good && ok

	streams, firehose := m.name("KinesisStreamsInput"), m.name("KinesisFirehoseInput")
	switch {
	case obj[streams] != nil && obj[firehose] != nil:
		m.problem(field, true, "both %s and %s: an input reads one source", streams, firehose)
		good = false
	case obj[streams] != nil:
		arn, role, ok := m.resource(obj[streams], join(field, streams), "stream")
		in.KinesisStreamsInput = &types.KinesisStreamsInput{ResourceARN: aws.String(arn), RoleARN: role}
		good = good && ok
	case obj[firehose] != nil:
		arn, role, ok := m.resource(obj[firehose], join(field, firehose), "deliverystream")
		in.KinesisFirehoseInput = &types.KinesisFirehoseInput{ResourceARN: aws.String(arn), RoleARN: role}
		good = good && ok
	default:
		m.problem(field, true, "no source: %s or %s", streams, firehose)
		good = false
	}

	if p, present := obj["InputParallelism"]; present && p != nil {
		pf := join(field, "InputParallelism")
		if po, ok := m.object(p, pf); ok {
			m.unknown(po, pf, "Count")
			if c, ok := m.str(po, "Count", pf, false); ok && c != "" {
				n, err := strconv.ParseInt(c, 10, 32)
				if err != nil || n < 1 || n > 64 {
					m.problem(join(pf, "Count"), true, "%q is not a count of 1 to 64", c)
					good = false
				} else {
					in.InputParallelism = &types.InputParallelism{Count: aws.Int32(int32(n))}
				}
			}
		} else {
			good = false
		}
	}

	processing := m.name("InputProcessingConfiguration")
	if p, present := obj[processing]; present && p != nil {
		what := "an input processing configuration"
		if po, ok := p.(map[string]any); ok {
			if lp, ok := po[m.name("InputLambdaProcessor")].(map[string]any); ok {
				if fn, ok := text(lp["ResourceARN"]); ok {
					what = "the Lambda preprocessor " + fn
				} else if u, ok := lp["ResourceARN"].(unresolved); ok {
					what = "the Lambda preprocessor " + u.expr
				}
			}
		}
		m.problem(join(field, processing), false, "Riffle has no input preprocessing, so records reach the SQL as the stream holds them, not as %s returned them; transform them before they reach the stream, or in the SQL", what)
	}
	known := []string{"NamePrefix", "InputSchema", streams, firehose, "InputParallelism", processing}
	if m.desc {
		// Set by the service, or chosen again at start.
		known = append(known, "InputId", "InAppStreamNames", "InputStartingPositionConfiguration")
	}
	m.unknown(obj, field, known...)
	return in, good
}

// role is a RoleARN as the definition gives it, or Riffle's placeholder
// where it gives none or it cannot be resolved: the API requires one,
// Riffle uses none.
func (m *mapper) role(obj map[string]any, key string) *string {
	v, present := obj[key]
	if !present {
		return aws.String(PlaceholderRole)
	}
	m.file.note(roleNote)
	if s, ok := text(v); ok && s != "" {
		return aws.String(s)
	}
	return aws.String(PlaceholderRole)
}

// resource reads {ResourceARN, RoleARN} and checks that the ARN names a
// resource of the kind wanted: "stream" (Kinesis), "deliverystream"
// (Firehose) or "function" (Lambda; Riffle also takes an http(s) URL).
func (m *mapper) resource(v any, field, kind string) (arn string, role *string, good bool) {
	obj, ok := m.object(v, field)
	if !ok {
		return "", nil, false
	}
	m.unknown(obj, field, "ResourceARN", "RoleARN")
	role = m.role(obj, "RoleARN")
	arn, ok = m.str(obj, "ResourceARN", field, true)
	if !ok {
		return "", role, false
	}
	if !arnOfKind(arn, kind) {
		want := map[string]string{
			"stream":         "a Kinesis stream's ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)",
			"deliverystream": "a Firehose delivery stream's ARN (arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME)",
			"function":       "a Lambda function's ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)",
		}[kind]
		m.problem(join(field, "ResourceARN"), true, "%q is not %s", arn, want)
		return arn, role, false
	}
	return arn, role, true
}

func arnOfKind(arn, kind string) bool {
	parts := strings.SplitN(arn, ":", 6)
	if kind == "function" && (strings.HasPrefix(arn, "http://") || strings.HasPrefix(arn, "https://")) {
		return true
	}
	if len(parts) != 6 || parts[0] != "arn" {
		return false
	}
	switch kind {
	case "stream":
		return parts[2] == "kinesis" && strings.HasPrefix(parts[5], "stream/") && len(parts[5]) > len("stream/")
	case "deliverystream":
		return parts[2] == "firehose" && strings.HasPrefix(parts[5], "deliverystream/") && len(parts[5]) > len("deliverystream/")
	case "function":
		return parts[2] == "lambda" && strings.HasPrefix(parts[5], "function:") && len(parts[5]) > len("function:")
	}
	return false
}

// output reads an Output (or an OutputDescription, which may also be
// Riffle's FileOutputDescription).
func (m *mapper) output(v any, field string) (Output, bool) {
	obj, ok := m.object(v, field)
	if !ok {
		return Output{}, false
	}
	out := Output{}
	good := true
	name, ok := m.str(obj, "Name", field, true)
	good = good && ok
	out.Name = aws.String(name)
	df := join(field, "DestinationSchema")
	if ds, ok := m.object(obj["DestinationSchema"], df); ok {
		m.unknown(ds, df, "RecordFormatType")
		format, ok := m.str(ds, "RecordFormatType", df, true)
		if ok && format != "JSON" && format != "CSV" {
			m.problem(join(df, "RecordFormatType"), true, "%q is neither JSON nor CSV", format)
			ok = false
		}
		good = good && ok
		out.DestinationSchema = &types.DestinationSchema{RecordFormatType: types.RecordFormatType(format)}
	} else {
		good = false
	}
	dests := []string{m.name("KinesisStreamsOutput"), m.name("KinesisFirehoseOutput"), m.name("LambdaOutput")}
	file := "FileOutputDescription"
	var given []string
	for _, d := range append(slices.Clone(dests), file) {
		if obj[d] != nil && (d != file || m.desc) {
			given = append(given, d)
		}
	}
	if len(given) != 1 {
		m.problem(field, true, "want exactly one destination (%s), not %d", strings.Join(dests, ", "), len(given))
		good = false
	}
	for _, d := range given {
		df := join(field, d)
		switch d {
		case dests[0]:
			arn, role, ok := m.resource(obj[d], df, "stream")
			out.KinesisStreamsOutput = &types.KinesisStreamsOutput{ResourceARN: aws.String(arn), RoleARN: role}
			good = good && ok
		case dests[1]:
			arn, role, ok := m.resource(obj[d], df, "deliverystream")
			out.KinesisFirehoseOutput = &types.KinesisFirehoseOutput{ResourceARN: aws.String(arn), RoleARN: role}
			good = good && ok
		case dests[2]:
			arn, role, ok := m.resource(obj[d], df, "function")
			out.LambdaOutput = &types.LambdaOutput{ResourceARN: aws.String(arn), RoleARN: role}
			good = good && ok
		case file:
			if fo, ok := m.object(obj[d], df); ok {
				m.unknown(fo, df, "Path")
				out.FilePath, ok = m.str(fo, "Path", df, true)
				good = good && ok
			} else {
				good = false
			}
		}
	}
	known := append([]string{"Name", "DestinationSchema"}, dests...)
	if m.desc {
		known = append(known, "OutputId", file)
	}
	m.unknown(obj, field, known...)
	return out, good
}

// reference reads a ReferenceDataSource (or its description).
func (m *mapper) reference(v any, field string) (types.ReferenceDataSource, bool) {
	obj, ok := m.object(v, field)
	if !ok {
		return types.ReferenceDataSource{}, false
	}
	ref := types.ReferenceDataSource{}
	good := true
	table, ok := m.str(obj, "TableName", field, true)
	good = good && ok
	ref.TableName = aws.String(table)
	ref.ReferenceSchema, ok = m.schema(obj["ReferenceSchema"], join(field, "ReferenceSchema"))
	good = good && ok
	s3 := m.name("S3ReferenceDataSource")
	sf := join(field, s3)
	if so, ok := m.object(obj[s3], sf); ok {
		m.unknown(so, sf, "BucketARN", "FileKey", "ReferenceRoleARN")
		role := m.role(so, "ReferenceRoleARN")
		bucket, okb := m.str(so, "BucketARN", sf, true)
		key, okk := m.str(so, "FileKey", sf, true)
		if okb && (!strings.HasPrefix(bucket, "arn:") || !strings.Contains(bucket, ":s3:::") || strings.HasSuffix(bucket, ":::")) {
			m.problem(join(sf, "BucketARN"), true, "%q is not an S3 bucket's ARN (arn:aws:s3:::BUCKET)", bucket)
			okb = false
		}
		good = good && okb && okk
		ref.S3ReferenceDataSource = &types.S3ReferenceDataSource{BucketARN: aws.String(bucket), FileKey: aws.String(key), ReferenceRoleARN: role}
	} else {
		good = false
	}
	known := []string{"TableName", "ReferenceSchema", s3}
	if m.desc {
		known = append(known, "ReferenceId")
	}
	m.unknown(obj, field, known...)
	return ref, good
}

// schema reads a SourceSchema: its shape is the same in templates, in
// requests and in descriptions.
func (m *mapper) schema(v any, field string) (*types.SourceSchema, bool) {
	if v == nil {
		m.problem(field, true, "missing")
		return nil, false
	}
	good := true
	walkUnresolved(v, field, func(path string, u unresolved) {
		m.problem(path, true, "%s", u)
		good = false
	})
	if !good {
		return nil, false
	}
	obj, ok := m.object(v, field)
	if !ok {
		return nil, false
	}
	m.unknown(obj, field, "RecordFormat", "RecordEncoding", "RecordColumns")
	raw, err := json.Marshal(plain(obj))
	var s types.SourceSchema
	if err == nil {
		err = json.Unmarshal(raw, &s)
	}
	if err != nil {
		m.problem(field, true, "not a schema: %v", err)
		return nil, false
	}
	if s.RecordFormat == nil || (s.RecordFormat.RecordFormatType != "JSON" && s.RecordFormat.RecordFormatType != "CSV") {
		m.problem(join(field, "RecordFormat.RecordFormatType"), true, "want JSON or CSV")
		good = false
	}
	if len(s.RecordColumns) == 0 {
		m.problem(join(field, "RecordColumns"), true, "no columns")
		good = false
	}
	for i, c := range s.RecordColumns {
		if aws.ToString(c.Name) == "" || aws.ToString(c.SqlType) == "" {
			m.problem(fmt.Sprintf("%s.RecordColumns[%d]", field, i), true, "a column needs Name and SqlType")
			good = false
		}
	}
	return &s, good
}

// plain makes a tree's scalars what encoding/json expects of the schema's
// fields: every scalar a string but for numbers left as they are.
func plain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case bool, int64, float64, json.Number:
		s, _ := text(x)
		return s
	}
	return v
}

// walkUnresolved calls fn for every value of a tree that could not be
// resolved, with its path.
func walkUnresolved(v any, path string, fn func(string, unresolved)) {
	switch x := v.(type) {
	case unresolved:
		fn(path, x)
	case map[string]any:
		for _, k := range sortedKeys(x) {
			walkUnresolved(x[k], join(path, k), fn)
		}
	case []any:
		for i, e := range x {
			walkUnresolved(e, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	}
}
