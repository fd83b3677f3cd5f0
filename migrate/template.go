package migrate

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// unresolved stands, in a resolved tree, for a value the template does not
// determine: a parameter without a default, an import from another stack.
type unresolved struct{ expr, why string }

func (u unresolved) String() string { return "cannot resolve " + u.expr + ": " + u.why }

// noValue is AWS::NoValue: the property is left out.
type noValue struct{}

// Resource types whose Ref (the name) and Arn attribute import resolves,
// with the property that names them.
var named = map[string]string{
	"AWS::Kinesis::Stream":                 "Name",
	"AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
	"AWS::Lambda::Function":                "FunctionName",
	"AWS::Serverless::Function":            "FunctionName",
	"AWS::S3::Bucket":                      "BucketName",
	"AWS::IAM::Role":                       "RoleName",
	"AWS::KinesisAnalytics::Application":   "ApplicationName",
	"AWS::KinesisAnalyticsV2::Application": "ApplicationName",
}

const (
	appType    = "AWS::KinesisAnalytics::Application"
	outputType = "AWS::KinesisAnalytics::ApplicationOutput"
	refType    = "AWS::KinesisAnalytics::ApplicationReferenceDataSource"
)

type resource struct {
	id, typ   string
	props     map[string]any
	condition string
}

type template struct {
	file       *File
	given      map[string]string
	parameters map[string]any
	resources  map[string]resource
	conditions map[string]any
	mappings   map[string]any
	// names caches each resource's resolved name; busy guards against
	// templates whose values refer to themselves.
	names map[string]any
	busy  map[string]bool
}

// readTemplate reads a CloudFormation template's Kinesis Data Analytics
// applications, outputs and reference data sources.
func readTemplate(f *File, tree map[string]any, opts Options) error {
	t := &template{file: f, given: opts.Parameters, resources: map[string]resource{}, names: map[string]any{}, busy: map[string]bool{}}
	section := func(name string) (map[string]any, error) {
		v, ok := tree[name]
		if !ok || v == nil {
			return map[string]any{}, nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the template's %s is not an object", name)
		}
		return m, nil
	}
	var err error
	if t.parameters, err = section("Parameters"); err != nil {
		return err
	}
	if t.conditions, err = section("Conditions"); err != nil {
		return err
	}
	if t.mappings, err = section("Mappings"); err != nil {
		return err
	}
	resources, err := section("Resources")
	if err != nil {
		return err
	}
	if tr, ok := tree["Transform"]; ok {
		f.note("the template's Transform (%s) is not applied: import reads the resources as written", compact(tr))
	}
	others := map[string][]string{}
	for _, id := range sortedKeys(resources) {
		obj, ok := resources[id].(map[string]any)
		if !ok {
			return fmt.Errorf("resource %s is not an object", id)
		}
		typ, _ := text(obj["Type"])
		props, _ := obj["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		cond, _ := text(obj["Condition"])
		t.resources[id] = resource{id: id, typ: typ, props: props, condition: cond}
		switch typ {
		case appType, outputType, refType:
		default:
			others[typ] = append(others[typ], id)
		}
	}
	for _, typ := range sortedKeys(others) {
		advice := "keep it on AWS, or set up its equivalent beside Riffle"
		switch {
		case typ == "AWS::Kinesis::Stream" || typ == "AWS::KinesisFirehose::DeliveryStream":
			advice = "create it on the target through riffle serve's Kinesis or Firehose API, or keep it on AWS"
		case strings.HasPrefix(typ, "AWS::KinesisAnalyticsV2::"):
			advice = "only Kinesis Data Analytics for SQL's own resources (AWS::KinesisAnalytics::*) are imported"
		case strings.HasPrefix(typ, "AWS::IAM::"):
			advice = "Riffle assumes no role"
		case typ == "AWS::Lambda::Function" || typ == "AWS::Serverless::Function":
			advice = "keep it on AWS, or give the target server a function of its name (riffle serve --function NAME=URL)"
		case typ == "AWS::S3::Bucket":
			advice = "the target server reads reference data from the bucket an ARN names"
		}
		f.note("not created by import: %s %s: %s", typ, strings.Join(others[typ], ", "), advice)
	}

	byID := map[string]*Application{}
	for _, id := range sortedKeys(t.resources) {
		r := t.resources[id]
		if r.typ != appType {
			continue
		}
		a := &Application{From: fmt.Sprintf("%s: %s %s", f.Name, appType, id)}
		if !t.created(r, a) {
			continue
		}
		props := t.properties(r, a)
		name := id
		switch v := props["ApplicationName"].(type) {
		case nil:
			f.note("%s %s has no ApplicationName: CloudFormation would have generated one; the logical id %s is used", appType, id, id)
		case unresolved:
			a.Problems = append(a.Problems, Problem{Field: "ApplicationName", Message: v.String(), Blocks: true})
		default:
			if s, ok := text(v); ok {
				name = s
			}
		}
		a.Name = name
		m := &mapper{app: a, file: f}
		if _, ok := props["Inputs"]; !ok {
			m.problem("Inputs", true, "missing")
		}
		m.application(props)
		byID[id] = a
		f.Applications = append(f.Applications, a)
	}

	for _, id := range sortedKeys(t.resources) {
		r := t.resources[id]
		if r.typ != outputType && r.typ != refType {
			continue
		}
		a, ok := t.owner(r, byID)
		if !ok || !t.created(r, a) {
			continue
		}
		props := t.properties(r, a)
		m := &mapper{app: a, file: f}
		if r.typ == outputType {
			m.unknown(props, id, "ApplicationName", "Output")
			if out, ok := m.output(props["Output"], id+".Output"); ok {
				a.Outputs = append(a.Outputs, out)
			}
			continue
		}
		m.unknown(props, id, "ApplicationName", "ReferenceDataSource")
		if ref, ok := m.reference(props["ReferenceDataSource"], id+".ReferenceDataSource"); ok {
			a.References = append(a.References, ref)
		}
	}
	return nil
}

// properties are a resource's resolved Properties; Properties that are not
// an object once resolved block the application.
func (t *template) properties(r resource, a *Application) map[string]any {
	props, ok := t.resolve(r.props).(map[string]any)
	if !ok {
		a.Problems = append(a.Problems, Problem{Field: r.id + ".Properties", Message: "not an object: " + render(r.props), Blocks: true})
		return map[string]any{}
	}
	return props
}

// created evaluates a resource's Condition: false if CloudFormation would
// not create it (or it cannot tell, which blocks the application).
func (t *template) created(r resource, a *Application) bool {
	if r.condition == "" {
		return true
	}
	ok, u := t.condition(r.condition)
	switch {
	case u != nil:
		a.Problems = append(a.Problems, Problem{Field: r.id + ".Condition", Message: u.String(), Blocks: true})
		return true
	case !ok:
		t.file.note("%s %s is not created: its condition %s is false", r.typ, r.id, r.condition)
	}
	return ok
}

// owner finds the application an output or reference data source belongs
// to: the one its ApplicationName refers to (!Ref), or the one of that name.
func (t *template) owner(r resource, byID map[string]*Application) (*Application, bool) {
	if ref, ok := r.props["ApplicationName"].(map[string]any); ok && len(ref) == 1 {
		if id, ok := text(ref["Ref"]); ok {
			if a, ok := byID[id]; ok {
				return a, true
			}
		}
	}
	v := t.resolve(r.props["ApplicationName"])
	name, ok := text(v)
	if !ok {
		msg := "no ApplicationName"
		if u, isU := v.(unresolved); isU {
			msg = u.String()
		}
		t.file.Problems = append(t.file.Problems, Problem{Field: r.id + ".ApplicationName", Message: msg + ": not imported", Blocks: true})
		return nil, false
	}
	for _, id := range sortedKeys(byID) {
		if byID[id].Name == name {
			return byID[id], true
		}
	}
	t.file.Problems = append(t.file.Problems, Problem{Field: r.id + ".ApplicationName",
		Message: fmt.Sprintf("application %q is not defined in this template: not imported", name), Blocks: true})
	return nil, false
}

// resolve evaluates a tree's intrinsic functions. What cannot be resolved
// becomes an unresolved value.
func (t *template) resolve(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return t.intrinsic(k, arg, x)
				}
			}
		}
		out := map[string]any{}
		for _, k := range sortedKeys(x) { // in order: notes come in the order they are met
			r := t.resolve(x[k])
			if _, drop := r.(noValue); !drop {
				out[k] = r
			}
		}
		return out
	case []any:
		out := []any{}
		for _, e := range x {
			r := t.resolve(e)
			if _, drop := r.(noValue); !drop {
				out = append(out, r)
			}
		}
		return out
	}
	return v
}

// args resolves a function's list of arguments, and says which argument
// could not be resolved.
func (t *template) args(arg any, n int) ([]any, *unresolved) {
	l, ok := arg.([]any)
	if !ok || (n > 0 && len(l) != n) {
		return nil, &unresolved{compact(arg), fmt.Sprintf("want a list of %d arguments", n)}
	}
	out := make([]any, len(l))
	for i, e := range l {
		out[i] = t.resolve(e)
		if u, ok := out[i].(unresolved); ok {
			return nil, &u
		}
	}
	return out, nil
}

func (t *template) intrinsic(fn string, arg any, whole map[string]any) any {
	expr := render(whole)
	bad := func(format string, args ...any) any { return unresolved{expr, fmt.Sprintf(format, args...)} }
	switch fn {
	case "Ref":
		name, ok := text(arg)
		if !ok {
			return bad("want a name")
		}
		return t.ref(name, expr)
	case "Fn::GetAtt":
		var res, attr string
		switch x := arg.(type) {
		case string:
			res, attr, _ = strings.Cut(x, ".")
		case []any:
			l, u := t.args(x, 2)
			if u != nil {
				return *u
			}
			res, _ = text(l[0])
			attr, _ = text(l[1])
		}
		return t.getAtt(res, attr, expr)
	case "Fn::Sub":
		return t.sub(arg, expr)
	case "Fn::Join":
		l, u := t.args(arg, 2)
		if u != nil {
			return *u
		}
		sep, _ := text(l[0])
		items, ok := l[1].([]any)
		if !ok {
			return bad("the second argument is not a list")
		}
		parts := make([]string, len(items))
		for i, item := range items {
			if u, ok := item.(unresolved); ok {
				return u
			}
			if parts[i], ok = text(item); !ok {
				return bad("item %d is not a string", i)
			}
		}
		return strings.Join(parts, sep)
	case "Fn::Select":
		l, u := t.args(arg, 2)
		if u != nil {
			return *u
		}
		s, _ := text(l[0])
		i, err := strconv.Atoi(s)
		items, ok := l[1].([]any)
		if err != nil || !ok || i < 0 || i >= len(items) {
			return bad("no item %s in %s", s, compact(l[1]))
		}
		return items[i]
	case "Fn::Split":
		l, u := t.args(arg, 2)
		if u != nil {
			return *u
		}
		sep, _ := text(l[0])
		s, ok := text(l[1])
		if !ok || sep == "" {
			return bad("want a delimiter and a string")
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out
	case "Fn::If":
		l, ok := arg.([]any)
		if !ok || len(l) != 3 {
			return bad("want [CONDITION, IF_TRUE, IF_FALSE]")
		}
		name, _ := text(l[0])
		yes, u := t.condition(name)
		if u != nil {
			return *u
		}
		if yes {
			return t.resolve(l[1])
		}
		return t.resolve(l[2])
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
		b, u := t.evalCondition(whole)
		if u != nil {
			return *u
		}
		return b
	case "Fn::FindInMap":
		l, u := t.args(arg, 3)
		if u != nil {
			return *u
		}
		keys := make([]string, 3)
		for i := range l {
			keys[i], _ = text(l[i])
		}
		var v any = t.mappings
		for _, k := range keys {
			m, ok := v.(map[string]any)
			if !ok {
				return bad("no %s in the template's Mappings", strings.Join(keys, "."))
			}
			if v, ok = m[k]; !ok {
				return bad("no %s in the template's Mappings", strings.Join(keys, "."))
			}
		}
		return t.resolve(v)
	case "Fn::Base64":
		r := t.resolve(arg)
		if u, ok := r.(unresolved); ok {
			return u
		}
		s, ok := text(r)
		if !ok {
			return bad("want a string")
		}
		return base64.StdEncoding.EncodeToString([]byte(s))
	case "Fn::ImportValue":
		return bad("it reads another stack's export, which this file does not hold; write the value into the template or make it a parameter")
	}
	return bad("%s depends on AWS at deployment; write the value into the template or make it a parameter", fn)
}

// ref is a parameter's value, a pseudo parameter's, or a resource's name.
func (t *template) ref(name, expr string) any {
	if p, ok := t.parameters[name]; ok {
		return t.parameter(name, p, expr)
	}
	if strings.HasPrefix(name, "AWS::") {
		return t.pseudo(name, expr)
	}
	if _, ok := t.resources[name]; ok {
		return t.resourceName(name, expr)
	}
	return unresolved{expr, fmt.Sprintf("the template has no parameter or resource %s", name)}
}

func (t *template) parameter(name string, decl any, expr string) any {
	p, _ := decl.(map[string]any)
	typ, _ := text(p["Type"])
	value, given := t.given[name]
	if !given {
		def, ok := text(p["Default"])
		if !ok {
			return unresolved{expr, fmt.Sprintf("parameter %s has no Default: give --parameter %s=VALUE", name, name)}
		}
		if strings.HasPrefix(typ, "AWS::SSM::Parameter") {
			return unresolved{expr, fmt.Sprintf("parameter %s's Default names an SSM parameter (%s), which import does not read: give --parameter %s=VALUE", name, def, name)}
		}
		value = def
	}
	if allowed, ok := p["AllowedValues"].([]any); ok {
		if !slices.ContainsFunc(allowed, func(a any) bool { s, _ := text(a); return s == value }) {
			return unresolved{expr, fmt.Sprintf("parameter %s: %q is not one of its AllowedValues %s", name, value, compact(allowed))}
		}
	}
	if typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<") {
		var l []any
		for _, s := range strings.Split(value, ",") {
			l = append(l, strings.TrimSpace(s))
		}
		return l
	}
	return value
}

// pseudo is a pseudo parameter's value: given with --parameter, or a
// default (noted).
func (t *template) pseudo(name, expr string) any {
	if v, ok := t.given[name]; ok {
		return v
	}
	switch name {
	case "AWS::NoValue":
		return noValue{}
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::Region":
		t.file.note("AWS::Region is taken as %s (riffle serve's default): give --parameter AWS::Region=REGION for another", DefaultRegion)
		return DefaultRegion
	case "AWS::AccountId":
		t.file.note("AWS::AccountId is taken as %s, the target server's own account, so the streams the template names are looked for there: give --parameter AWS::AccountId=ID to name your AWS account's", DefaultAccountID)
		return DefaultAccountID
	case "AWS::StackName":
		s := stackName(t.file.Name)
		t.file.note("AWS::StackName is taken as %s (the file's name): give --parameter AWS::StackName=NAME for the stack's", s)
		return s
	}
	return unresolved{expr, fmt.Sprintf("%s is known only to a deployed stack: give --parameter %s=VALUE", name, name)}
}

// resourceName is what Ref gives for a resource: its name property, or the
// logical id (noted) where CloudFormation would have generated a name.
func (t *template) resourceName(id, expr string) any {
	if v, ok := t.names[id]; ok {
		return v
	}
	r := t.resources[id]
	prop, ok := named[r.typ]
	if !ok {
		return unresolved{expr, fmt.Sprintf("import knows the names of %s, not of %s", knownTypes(), r.typ)}
	}
	if t.busy[id] {
		return unresolved{expr, fmt.Sprintf("the name of %s refers to itself", id)}
	}
	t.busy[id] = true
	defer delete(t.busy, id)
	var name any = id
	if v, ok := r.props[prop]; ok {
		name = t.resolve(v)
	} else if r.typ != appType && r.typ != "AWS::IAM::Role" { // roles are not used: no need to say
		t.file.note("%s %s has no %s: CloudFormation would have generated one; the logical id %s is used", r.typ, id, prop, id)
	}
	t.names[id] = name
	return name
}

func knownTypes() string {
	types := sortedKeys(named)
	return strings.Join(types, ", ")
}

// getAtt resolves the Arn attribute of the resources import can name.
func (t *template) getAtt(id, attr, expr string) any {
	r, ok := t.resources[id]
	if !ok {
		return unresolved{expr, fmt.Sprintf("the template has no resource %s", id)}
	}
	if attr != "Arn" {
		return unresolved{expr, fmt.Sprintf("import resolves only the Arn attribute, not %s", attr)}
	}
	nv := t.resourceName(id, expr)
	if u, ok := nv.(unresolved); ok {
		return u
	}
	name, _ := text(nv)
	partition, _ := text(t.pseudo("AWS::Partition", expr))
	region := func() string { s, _ := text(t.pseudo("AWS::Region", expr)); return s }
	account := func() string { s, _ := text(t.pseudo("AWS::AccountId", expr)); return s }
	switch r.typ {
	case "AWS::Kinesis::Stream":
		return fmt.Sprintf("arn:%s:kinesis:%s:%s:stream/%s", partition, region(), account(), name)
	case "AWS::KinesisFirehose::DeliveryStream":
		return fmt.Sprintf("arn:%s:firehose:%s:%s:deliverystream/%s", partition, region(), account(), name)
	case "AWS::Lambda::Function", "AWS::Serverless::Function":
		return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", partition, region(), account(), name)
	case "AWS::S3::Bucket":
		return fmt.Sprintf("arn:%s:s3:::%s", partition, name)
	case "AWS::IAM::Role":
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account(), name)
	}
	return unresolved{expr, fmt.Sprintf("import resolves the Arn of Kinesis streams, Firehose delivery streams, Lambda functions, S3 buckets and IAM roles, not of %s", r.typ)}
}

// sub is Fn::Sub: ${Name} is a parameter, pseudo parameter or resource
// name, ${Resource.Attribute} an attribute, ${!Text} the text ${Text}.
func (t *template) sub(arg any, expr string) any {
	format, vars := arg, map[string]any{}
	if l, ok := arg.([]any); ok {
		if len(l) != 2 {
			return unresolved{expr, "want a string, or [STRING, VARIABLES]"}
		}
		format = l[0]
		m, ok := l[1].(map[string]any)
		if !ok {
			return unresolved{expr, "the variables are not an object"}
		}
		for _, k := range sortedKeys(m) {
			vars[k] = t.resolve(m[k])
		}
	}
	s, ok := format.(string)
	if !ok {
		return unresolved{expr, "want a string"}
	}
	var out strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			out.WriteString(s)
			return out.String()
		}
		out.WriteString(s[:i])
		end := strings.Index(s[i:], "}")
		if end < 0 {
			return unresolved{expr, "a ${ without its }"}
		}
		name := strings.TrimSpace(s[i+2 : i+end])
		s = s[i+end+1:]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			out.WriteString("${" + lit + "}")
			continue
		}
		var v any
		if val, ok := vars[name]; ok {
			v = val
		} else if res, attr, ok := strings.Cut(name, "."); ok {
			v = t.getAtt(res, attr, "${"+name+"}")
		} else {
			v = t.ref(name, "${"+name+"}")
		}
		if u, ok := v.(unresolved); ok {
			return u
		}
		str, ok := text(v)
		if !ok {
			return unresolved{"${" + name + "}", "not a string"}
		}
		out.WriteString(str)
	}
}

// condition evaluates a named condition of the template.
func (t *template) condition(name string) (bool, *unresolved) {
	c, ok := t.conditions[name]
	if !ok {
		return false, &unresolved{"condition " + name, "the template has no such condition"}
	}
	key := "condition:" + name
	if t.busy[key] {
		return false, &unresolved{"condition " + name, "it refers to itself"}
	}
	t.busy[key] = true
	defer delete(t.busy, key)
	return t.evalCondition(c)
}

func (t *template) evalCondition(v any) (bool, *unresolved) {
	expr := render(v)
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		if s, ok := text(v); ok && (s == "true" || s == "false") {
			return s == "true", nil
		}
		return false, &unresolved{expr, "not a condition"}
	}
	for fn, arg := range m {
		switch fn {
		case "Condition":
			name, _ := text(arg)
			return t.condition(name)
		case "Fn::Equals":
			l, u := t.args(arg, 2)
			if u != nil {
				return false, u
			}
			return compact(l[0]) == compact(l[1]) || textEqual(l[0], l[1]), nil
		case "Fn::Not":
			l, ok := arg.([]any)
			if !ok || len(l) != 1 {
				return false, &unresolved{expr, "want [CONDITION]"}
			}
			b, u := t.evalCondition(l[0])
			return !b, u
		case "Fn::And", "Fn::Or":
			l, ok := arg.([]any)
			if !ok {
				return false, &unresolved{expr, "want a list of conditions"}
			}
			and := fn == "Fn::And"
			for _, c := range l {
				b, u := t.evalCondition(c)
				if u != nil {
					return false, u
				}
				if b != and {
					return b, nil
				}
			}
			return and, nil
		}
		r := t.resolve(v)
		if u, ok := r.(unresolved); ok {
			return false, &u
		}
		if b, ok := r.(bool); ok {
			return b, nil
		}
	}
	return false, &unresolved{expr, "not a condition"}
}

func textEqual(a, b any) bool {
	x, ok1 := text(a)
	y, ok2 := text(b)
	return ok1 && ok2 && x == y
}
