package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/awsclients"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/awsjson"
)

// outputShape is the service's Output (in requests) and OutputDescription
// (in answers), plus Riffle's FileOutput: rows appended to a file under
// the server's output directory.
type outputShape struct {
	OutputId                         string             `json:",omitempty"`
	Name                             string             `json:",omitempty"`
	DestinationSchema                *destinationSchema `json:",omitempty"`
	KinesisStreamsOutput             *streamInput       `json:",omitempty"`
	KinesisFirehoseOutput            *streamInput       `json:",omitempty"`
	LambdaOutput                     *streamInput       `json:",omitempty"`
	FileOutput                       *fileOutput        `json:",omitempty"`
	KinesisStreamsOutputDescription  *streamInput       `json:",omitempty"`
	KinesisFirehoseOutputDescription *streamInput       `json:",omitempty"`
	LambdaOutputDescription          *streamInput       `json:",omitempty"`
	FileOutputDescription            *fileOutput        `json:",omitempty"`
}

type destinationSchema struct{ RecordFormatType string }

type fileOutput struct{ Path string }

// toOutput reads an Output: its format and its one destination. A Lambda
// function is named by its ARN (the server maps names to functions) or,
// in Riffle, by an http(s) URL.
func toOutput(o outputShape) (app.Output, error) {
	if o.DestinationSchema == nil {
		return app.Output{}, awsjson.Errorf(http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'output.destinationSchema' failed to satisfy constraint: Member must not be null")
	}
	format := o.DestinationSchema.RecordFormatType
	if format != "JSON" && format != "CSV" {
		return app.Output{}, awsjson.Errorf(http.StatusBadRequest, "ValidationException", "1 validation error detected: Value '%s' at 'output.destinationSchema.recordFormatType' failed to satisfy constraint: Member must satisfy enum value set: [JSON, CSV]", format)
	}
	out := app.Output{Name: o.Name, Format: format}
	given := 0
	if d := o.LambdaOutput; d != nil {
		given++
		out.Kind, out.ResourceARN, out.RoleARN = app.LambdaOutput, d.ResourceARN, d.RoleARN
		out.Target = functionName(d.ResourceARN)
		if out.Target == "" {
			return app.Output{}, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "LambdaOutput ResourceARN %q is neither a Lambda function ARN nor an http(s) URL", d.ResourceARN)
		}
	}
	for kind, d := range map[string]*streamInput{app.KinesisOutput: o.KinesisStreamsOutput, app.FirehoseOutput: o.KinesisFirehoseOutput} {
		if d == nil {
			continue
		}
		given++
		name, k, err := source(d.ResourceARN)
		if err != nil {
			return app.Output{}, err
		}
		if k != kind {
			return app.Output{}, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "ResourceARN %q is not a %s", d.ResourceARN, map[string]string{app.KinesisOutput: "Kinesis stream", app.FirehoseOutput: "Firehose delivery stream"}[kind])
		}
		out.Kind, out.Target, out.ResourceARN, out.RoleARN = kind, name, d.ResourceARN, d.RoleARN
	}
	if o.FileOutput != nil {
		given++
		out.Kind, out.Target = app.FileOutput, o.FileOutput.Path
	}
	if given != 1 {
		return app.Output{}, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "output %s needs exactly one destination: KinesisStreamsOutput, KinesisFirehoseOutput, LambdaOutput or (Riffle's) FileOutput", o.Name)
	}
	return out, nil
}

// functionName reads a Lambda function ARN, with or without a version or
// alias (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]); an
// http(s) URL stands for itself.
func functionName(arn string) string {
	if strings.HasPrefix(arn, "http://") || strings.HasPrefix(arn, "https://") {
		return arn
	}
	fn, err := awsclients.ParseFunctionARN(arn)
	if err != nil {
		return ""
	}
	return fn.Name
}

// requestShape is an output as a request would give it.
func requestShape(out app.Output) outputShape {
	o := outputShape{Name: out.Name, DestinationSchema: &destinationSchema{RecordFormatType: out.Format}}
	dest := &streamInput{ResourceARN: out.ResourceARN, RoleARN: out.RoleARN}
	switch out.Kind {
	case app.LambdaOutput:
		if dest.ResourceARN == "" {
			dest.ResourceARN = out.Target
		}
		o.LambdaOutput = dest
	case app.KinesisOutput:
		o.KinesisStreamsOutput = dest
	case app.FirehoseOutput:
		o.KinesisFirehoseOutput = dest
	case app.FileOutput:
		o.FileOutput = &fileOutput{Path: out.Target}
	}
	return o
}

// describeOutput is an output as DescribeApplication gives it: the
// destination under its *Description member.
func describeOutput(out app.Output) outputShape {
	o := requestShape(out)
	if o.LambdaOutput != nil {
		o.LambdaOutput.ResourceARN = shownFunction(o.LambdaOutput.ResourceARN)
	}
	o.OutputId = out.ID
	o.LambdaOutputDescription, o.LambdaOutput = o.LambdaOutput, nil
	o.KinesisStreamsOutputDescription, o.KinesisStreamsOutput = o.KinesisStreamsOutput, nil
	o.KinesisFirehoseOutputDescription, o.KinesisFirehoseOutput = o.KinesisFirehoseOutput, nil
	o.FileOutputDescription, o.FileOutput = o.FileOutput, nil
	return o
}

// outputUpdate is the service's OutputUpdate.
type outputUpdate struct {
	OutputId                    string
	NameUpdate                  *string
	DestinationSchemaUpdate     *destinationSchema
	KinesisStreamsOutputUpdate  *arnUpdate
	KinesisFirehoseOutputUpdate *arnUpdate
	LambdaOutputUpdate          *arnUpdate
}

// apply changes an output as the update says, checking the result as a
// new output would be.
func (u outputUpdate) apply(out *app.Output) error {
	o := requestShape(*out)
	if u.NameUpdate != nil {
		o.Name = *u.NameUpdate
	}
	if u.DestinationSchemaUpdate != nil {
		o.DestinationSchema = u.DestinationSchemaUpdate
	}
	for _, change := range []struct {
		update *arnUpdate
		set    func(*streamInput)
	}{
		{u.KinesisStreamsOutputUpdate, func(d *streamInput) { o.KinesisStreamsOutput = d }},
		{u.KinesisFirehoseOutputUpdate, func(d *streamInput) { o.KinesisFirehoseOutput = d }},
		{u.LambdaOutputUpdate, func(d *streamInput) { o.LambdaOutput = d }},
	} {
		if change.update != nil {
			arn := change.update.ResourceARNUpdate
			if out.Kind == app.LambdaOutput && arn != out.ResourceARN && arn == shownFunction(out.ResourceARN) {
				arn = out.ResourceARN // the URL as described, its secrets hidden: the same function
			}
			o.KinesisStreamsOutput, o.KinesisFirehoseOutput, o.LambdaOutput, o.FileOutput = nil, nil, nil, nil
			change.set(&streamInput{ResourceARN: arn, RoleARN: change.update.RoleARNUpdate})
		}
	}
	updated, err := toOutput(o)
	if err != nil {
		return err
	}
	updated.ID = out.ID
	*out = updated
	return nil
}

// shownFunction is a Lambda output's ResourceARN as DescribeApplication
// shows it: a function URL without its password or its query's values
// (often a token); an update giving it back keeps the URL as it was.
func shownFunction(arn string) string {
	u, err := url.Parse(arn)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return arn
	}
	return destination.Redacted(u)
}
