// Package migrate reads the definitions of Kinesis Data Analytics for SQL
// applications (`aws kinesisanalytics describe-application` output and
// CloudFormation templates, YAML or JSON) and turns each application into
// the requests that create it: the CreateApplication the service was
// given, then the AddApplicationOutput and
// AddApplicationReferenceDataSource calls for what CloudFormation declares
// as separate resources. What cannot be mapped is reported with the reason,
// field by field. The package does no I/O: files in, requests and problems
// out (the command `riffle apps import` sends them).
package migrate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
)

// Application is one application to create.
type Application struct {
	// Name is the application's name on the target.
	Name string
	// From says where the definition came from (file, resource).
	From string
	// Create is the CreateApplication request: name, description, code,
	// inputs and the outputs declared with the application.
	Create kinesisanalytics.CreateApplicationInput
	// Outputs are added after creation, one AddApplicationOutput each.
	Outputs []Output
	// References are added after creation, one
	// AddApplicationReferenceDataSource each.
	References []types.ReferenceDataSource
	// Running says the application was RUNNING where it came from.
	Running bool
	// SettleMillis is another Riffle's settle wait (RiffleSettleMillis),
	// which the SDK's types lack; nil when the source has none.
	SettleMillis *int64
	// Problems are the fields that could not be mapped; one that Blocks
	// keeps the application from being created.
	Problems []Problem
}

// Output is an output added after creation.
type Output struct {
	types.Output
	// FilePath is Riffle's FileOutput (rows appended to a file under the
	// server's --outputs directory), which only another Riffle describes
	// and the SDK's types lack.
	FilePath string
}

// Problem is a field that could not be mapped, and why.
type Problem struct {
	Field   string // the field's path in the definition, e.g. Inputs[0].InputProcessingConfiguration
	Message string
	// Blocks: the application cannot be created (a stream's ARN that
	// cannot be resolved, a missing schema); otherwise it is created
	// without the field.
	Blocks bool
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// Blocked says whether any problem keeps the application from being created.
func (a *Application) Blocked() bool {
	return slices.ContainsFunc(a.Problems, func(p Problem) bool { return p.Blocks })
}

// File is what one file (or one answer of an endpoint) holds.
type File struct {
	Name         string
	Applications []*Application
	// Problems concern the file rather than one application (a resource
	// that names an application the file does not define).
	Problems []Problem
	// Notes say what was assumed or left out: the defaults taken for
	// pseudo parameters, the resources import does not create, RoleARNs
	// ignored. The same note may come from several files.
	Notes []string
}

func (f *File) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	if !slices.Contains(f.Notes, n) {
		f.Notes = append(f.Notes, n)
	}
}

// Options tune the reading of templates.
type Options struct {
	// Parameters give template parameters their values, and override the
	// pseudo parameters' defaults (AWS::Region, AWS::AccountId,
	// AWS::StackName, AWS::Partition, AWS::URLSuffix).
	Parameters map[string]string
}

// Defaults of the pseudo parameters: the region and account Riffle's own
// ARNs use, so streams a template defines are looked for on the target
// server. AWS::StackName defaults to the file's name without extension.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
)

// PlaceholderRole stands for a role a definition does not give or that
// cannot be resolved: the API requires one, Riffle uses none.
const PlaceholderRole = "arn:aws:iam::000000000000:role/riffle"

// roleNote is said once: no role of a definition is used.
const roleNote = "RoleARN and ReferenceRoleARN are ignored: Riffle assumes no role, it reads and writes with the target server's own access (requests carry the role given, or " + PlaceholderRole + " where it cannot be resolved, as the API requires one)"

// Read reads a file: describe-application output (one, or a JSON array of
// several), or a CloudFormation template. name names the file in reports
// and gives AWS::StackName its default.
func Read(name string, data []byte, opts Options) (*File, error) {
	tree, err := readTree(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f := &File{Name: name}
	switch kindOf(tree) {
	case "describe":
		err = readDescriptions(f, tree)
	case "template":
		err = readTemplate(f, tree.(map[string]any), opts)
	default:
		err = fmt.Errorf("neither describe-application output ({\"ApplicationDetail\": ...}) nor a CloudFormation template (with Resources)")
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

// kindOf tells describe-application output from a template.
func kindOf(tree any) string {
	switch x := tree.(type) {
	case []any:
		if len(x) > 0 {
			return kindOf(x[0])
		}
	case map[string]any:
		if _, ok := x["ApplicationDetail"]; ok {
			return "describe"
		}
		if _, ok := x["Resources"]; ok {
			return "template"
		}
		if _, ok := x["ApplicationName"]; ok {
			if _, ok := x["ApplicationARN"]; ok {
				return "describe" // a bare ApplicationDetail
			}
		}
	}
	return ""
}

// stackName is a file's name without directory and extension.
func stackName(file string) string {
	base := filepath.Base(file)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// RequestsJSON shows an application's requests as the wire would carry
// them (fields that are not set left out), for tests and --dry-run --json.
func (a *Application) RequestsJSON() ([]byte, error) {
	var outputs []any
	for _, o := range a.Outputs {
		shape := any(o.Output)
		if o.FilePath != "" {
			shape = map[string]any{"Name": o.Name, "DestinationSchema": o.DestinationSchema, "FileOutput": map[string]string{"Path": o.FilePath}}
		}
		outputs = append(outputs, map[string]any{"ApplicationName": a.Name, "Output": shape})
	}
	var refs []any
	for _, r := range a.References {
		refs = append(refs, map[string]any{"ApplicationName": a.Name, "ReferenceDataSource": r})
	}
	var create any = a.Create
	if a.SettleMillis != nil {
		raw, err := json.Marshal(a.Create)
		if err != nil {
			return nil, fmt.Errorf("requests of %s: %w", a.Name, err)
		}
		var fields map[string]any
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, fmt.Errorf("requests of %s: %w", a.Name, err)
		}
		fields["RiffleSettleMillis"] = *a.SettleMillis
		create = fields
	}
	all := map[string]any{"CreateApplication": create}
	if outputs != nil {
		all["AddApplicationOutput"] = outputs
	}
	if refs != nil {
		all["AddApplicationReferenceDataSource"] = refs
	}
	raw, err := json.Marshal(all)
	if err != nil {
		return nil, fmt.Errorf("requests of %s: %w", a.Name, err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("requests of %s: %w", a.Name, err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(dropNulls(v)); err != nil {
		return nil, fmt.Errorf("requests of %s: %w", a.Name, err)
	}
	return out.Bytes(), nil
}

func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropNulls(e)
		}
	}
	return v
}
