package migrate

import (
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
)

// Report writes what would be created for the application, in order, and
// every field that cannot be mapped with the reason. start says whether
// an application that was RUNNING is started after it is created.
func (a *Application) Report(w io.Writer, start bool) {
	fmt.Fprintf(w, "application %s (from %s)\n", a.Name, a.From)
	if d := aws.ToString(a.Create.ApplicationDescription); d != "" {
		fmt.Fprintf(w, "  description: %s\n", d)
	}
	if code := aws.ToString(a.Create.ApplicationCode); code != "" {
		lines := strings.Count(strings.TrimRight(code, "\n"), "\n") + 1
		fmt.Fprintf(w, "  code: %s of SQL\n", count(lines, "line"))
	} else {
		fmt.Fprintf(w, "  code: none\n")
	}
	for _, in := range a.Create.Inputs {
		fmt.Fprintf(w, "  input %s: %s%s\n", inputStreams(in), inputSource(in), schema(in.InputSchema))
	}
	for _, out := range a.Create.Outputs {
		fmt.Fprintf(w, "  output %s: %s\n", aws.ToString(out.Name), destination(Output{Output: out}))
	}
	for _, out := range a.Outputs {
		fmt.Fprintf(w, "  then add output %s: %s\n", aws.ToString(out.Name), destination(out))
	}
	for _, r := range a.References {
		s3 := r.S3ReferenceDataSource
		fmt.Fprintf(w, "  then add reference table %s: S3 bucket %s, key %s%s\n", aws.ToString(r.TableName),
			strings.TrimPrefix(aws.ToString(s3.BucketARN), "arn:aws:s3:::"), aws.ToString(s3.FileKey), schema(r.ReferenceSchema))
	}
	if a.SettleMillis != nil {
		fmt.Fprintf(w, "  settle wait: %d ms (Riffle's)\n", *a.SettleMillis)
	}
	if len(a.Create.Tags) > 0 {
		var tags []string
		for _, t := range a.Create.Tags {
			tags = append(tags, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
		}
		fmt.Fprintf(w, "  tags: %s\n", strings.Join(tags, ", "))
	}
	if a.Running {
		if start {
			fmt.Fprintf(w, "  was RUNNING: started (input at NOW)\n")
		} else {
			fmt.Fprintf(w, "  was RUNNING: not started (--start starts it)\n")
		}
	}
	for _, p := range a.Problems {
		if p.Blocks {
			fmt.Fprintf(w, "  cannot import: %s\n", p)
		} else {
			fmt.Fprintf(w, "  not mapped: %s\n", p)
		}
	}
}

func inputStreams(in types.Input) string {
	prefix := aws.ToString(in.NamePrefix)
	n := int32(1)
	if in.InputParallelism != nil {
		n = aws.ToInt32(in.InputParallelism.Count)
	}
	if n <= 1 {
		return prefix + "_001"
	}
	return fmt.Sprintf("%s_001 to %s_%03d", prefix, prefix, n)
}

func inputSource(in types.Input) string {
	switch {
	case in.KinesisStreamsInput != nil:
		return "Kinesis stream " + aws.ToString(in.KinesisStreamsInput.ResourceARN)
	case in.KinesisFirehoseInput != nil:
		return "Firehose delivery stream " + aws.ToString(in.KinesisFirehoseInput.ResourceARN)
	}
	return "no source"
}

func schema(s *types.SourceSchema) string {
	if s == nil || s.RecordFormat == nil {
		return ""
	}
	return fmt.Sprintf(" (%s, %s)", s.RecordFormat.RecordFormatType, count(len(s.RecordColumns), "column"))
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func destination(o Output) string {
	format := ""
	if o.DestinationSchema != nil {
		format = " (" + string(o.DestinationSchema.RecordFormatType) + ")"
	}
	switch {
	case o.KinesisStreamsOutput != nil:
		return "Kinesis stream " + aws.ToString(o.KinesisStreamsOutput.ResourceARN) + format
	case o.KinesisFirehoseOutput != nil:
		return "Firehose delivery stream " + aws.ToString(o.KinesisFirehoseOutput.ResourceARN) + format
	case o.LambdaOutput != nil:
		return "Lambda function " + aws.ToString(o.LambdaOutput.ResourceARN) + format
	case o.FilePath != "":
		return "file " + o.FilePath + " (Riffle's FileOutput)" + format
	}
	return "no destination"
}

// ReportFile writes the report of every application of a file, then the
// file's own problems.
func (f *File) Report(w io.Writer, start bool) {
	for _, a := range f.Applications {
		a.Report(w, start)
	}
	for _, p := range f.Problems {
		fmt.Fprintf(w, "%s: cannot import: %s\n", f.Name, p)
	}
}

// Notes are the notes of several files, each once.
func Notes(files []*File) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range files {
		for _, n := range f.Notes {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// WriteReport writes what --dry-run prints: every file's applications,
// its problems, then the notes of all, each once.
func WriteReport(w io.Writer, files []*File, start bool) {
	for _, f := range files {
		f.Report(w, start)
	}
	for _, n := range Notes(files) {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
