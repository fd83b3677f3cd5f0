package migrate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A tree is a parsed document: map[string]any, []any, string, bool, int64,
// float64, json.Number or nil. YAML's short-form intrinsics (!Ref X) become
// their long form ({"Ref": "X"}), so the resolver sees one shape.

// readTree parses JSON (a document that starts with { or [) or YAML.
func readTree(data []byte) (any, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("read JSON: %w", err)
		}
		if dec.More() {
			return nil, fmt.Errorf("read JSON: more than one document")
		}
		return v, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("read YAML: %w", err)
	}
	if doc.Kind == 0 {
		return nil, fmt.Errorf("read YAML: the file is empty")
	}
	return fromNode(&doc)
}

// fromNode converts a YAML node, its custom tags (!Ref, !Sub, !GetAtt...)
// to CloudFormation's long form.
func fromNode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return fromNode(n.Content[0])
	case yaml.AliasNode:
		// CloudFormation takes no aliases (nor merges); expanding them
		// would also let a small file grow without bound.
		return nil, fmt.Errorf("line %d: YAML aliases (*%s) are not CloudFormation", n.Line, n.Value)
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				return nil, fmt.Errorf("line %d: YAML merge keys (<<) are not CloudFormation", k.Line)
			}
			cv, err := fromNode(val)
			if err != nil {
				return nil, err
			}
			m[k.Value] = cv
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			cv, err := fromNode(c)
			if err != nil {
				return nil, err
			}
			l = append(l, cv)
		}
		v = l
	case yaml.ScalarNode:
		if strings.HasPrefix(n.Tag, "!!") || n.Tag == "" {
			if err := n.Decode(&v); err != nil {
				return nil, fmt.Errorf("line %d: %w", n.Line, err)
			}
			if i, ok := v.(int); ok {
				v = int64(i)
			}
		} else {
			v = n.Value
		}
	}
	if n.Tag == "" || strings.HasPrefix(n.Tag, "!!") {
		return v, nil
	}
	return shortForm(n, v)
}

// shortForm turns a tagged value into the intrinsic function it stands for.
func shortForm(n *yaml.Node, v any) (any, error) {
	tag := strings.TrimPrefix(n.Tag, "!")
	switch tag {
	case "Ref", "Condition":
		return map[string]any{tag: v}, nil
	case "GetAtt":
		// !GetAtt Resource.Attribute, or the list form.
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %s: want RESOURCE.ATTRIBUTE", n.Line, s)
			}
			v = []any{res, attr}
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	case "Sub", "Join", "Select", "Split", "If", "Equals", "Not", "And", "Or", "FindInMap",
		"Base64", "ImportValue", "GetAZs", "Cidr", "Transform", "Length", "ToJsonString", "ForEach":
		return map[string]any{"Fn::" + tag: v}, nil
	}
	return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
}

// text is a scalar as a string; ok is false for maps, lists and null.
func text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// render shows a value as the template wrote it, for messages: an
// intrinsic in its short form.
func render(v any) string {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for k, arg := range m {
			switch {
			case k == "Ref":
				s, _ := text(arg)
				return "!Ref " + s
			case k == "Fn::GetAtt":
				if l, ok := arg.([]any); ok && len(l) == 2 {
					a, _ := text(l[0])
					b, _ := text(l[1])
					return "!GetAtt " + a + "." + b
				}
			case strings.HasPrefix(k, "Fn::"):
				return "!" + strings.TrimPrefix(k, "Fn::") + " " + compact(arg)
			}
		}
	}
	return compact(v)
}

// compact is a value as one line of JSON, intrinsics inside in their
// short form.
func compact(v any) string {
	switch x := v.(type) {
	case string:
		b, _ := json.Marshal(x)
		return string(b)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = render(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		if len(x) == 1 {
			for k := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return "(" + render(x) + ")"
				}
			}
		}
		keys := sortedKeys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + render(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	s, ok := text(v)
	if !ok {
		return "null"
	}
	return s
}
