package migrate

import (
	"fmt"
)

// readDescriptions reads `aws kinesisanalytics describe-application`
// output: {"ApplicationDetail": {...}}, a bare ApplicationDetail, or a JSON
// array of either.
func readDescriptions(f *File, tree any) error {
	all, isList := tree.([]any)
	if !isList {
		all = []any{tree}
	}
	for i, v := range all {
		from := f.Name
		if isList {
			from = fmt.Sprintf("%s[%d]", f.Name, i)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want describe-application output, not %s", from, compact(v))
		}
		if d, ok := obj["ApplicationDetail"]; ok {
			if obj, ok = d.(map[string]any); !ok {
				return fmt.Errorf("%s: ApplicationDetail is not an object", from)
			}
		}
		name, ok := text(obj["ApplicationName"])
		if !ok || name == "" {
			return fmt.Errorf("%s: the ApplicationDetail has no ApplicationName", from)
		}
		a := &Application{Name: name, From: from + ": describe-application"}
		m := &mapper{app: a, file: f, desc: true}
		m.application(obj)
		f.Applications = append(f.Applications, a)
	}
	return nil
}

// FromDescription reads one ApplicationDetail as a KinesisAnalytics API
// answered it (DescribeApplication's body); from names the endpoint.
func FromDescription(from string, body []byte) (*File, error) {
	f, err := Read(from, body, Options{})
	if err != nil {
		return nil, err
	}
	if len(f.Applications) != 1 {
		return nil, fmt.Errorf("%s: not a DescribeApplication answer", from)
	}
	return f, nil
}
