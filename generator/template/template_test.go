package template

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// render parses src and renders it n times with one Faker.
func render(t *testing.T, src string, seed uint64, n int) []string {
	t.Helper()
	tp, err := Parse("t", src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	f := NewFaker(seed)
	out := make([]string, n)
	for i := range out {
		if out[i], err = tp.Execute(f, testNow); err != nil {
			t.Fatalf("Execute(%q): %v", src, err)
		}
	}
	return out
}

func TestLabTemplatesRenderToThemselves(t *testing.T) {
	for _, src := range []string{
		`{"browseraction":"DiscoveryKinesisTest", "site": "yourwebsiteurl.domain.com"}`,
		`{"browseraction":"Click", "site": "yourwebsiteurl.domain.com"}`,
		`{"browseraction":"Impression", "site": "yourwebsiteurl.domain.com"}`,
	} {
		if got := render(t, src, 1, 1)[0]; got != src {
			t.Errorf("got %q, want %q", got, src)
		}
	}
}

func TestMaxIsInclusive(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range render(t, "{{random.number(3)}}", 1, 2000) {
		seen[v] = true
	}
	want := map[string]bool{"0": true, "1": true, "2": true, "3": true}
	if !maps(seen, want) {
		t.Errorf("random.number(3) gave %v, want exactly 0..3", seen)
	}
}

func maps(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func TestNumberMinMax(t *testing.T) {
	seen := map[int]bool{}
	for _, v := range render(t, `{{random.number({"min":10,"max":150})}}`, 2, 20000) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 || n > 150 {
			t.Fatalf("got %q", v)
		}
		seen[n] = true
	}
	if len(seen) != 141 {
		t.Errorf("saw %d of the 141 values 10..150", len(seen))
	}
	// The KDG help page's layout: JSON spread over lines, then "\n" deleted.
	src := "{{random.number(\n        {\n            \"min\":10,\n            \"max\":150\n        }\n    )}}"
	for _, v := range render(t, src, 2, 100) {
		if n, err := strconv.Atoi(v); err != nil || n < 10 || n > 150 {
			t.Fatalf("multi-line argument gave %q", v)
		}
	}
}

// TestNegativeMaxIsExclusive: faker only adds the precision step to a
// maximum that is not negative.
func TestNegativeMaxIsExclusive(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range render(t, `{{random.number({"min":-5,"max":-2})}}`, 3, 2000) {
		seen[v] = true
	}
	if !maps(seen, map[string]bool{"-5": true, "-4": true, "-3": true}) {
		t.Errorf("got %v, want -5..-3", seen)
	}
}

func TestPrecision(t *testing.T) {
	// Exactly what JavaScript prints for 0.1 * k, k = 0..10.
	want := map[string]bool{}
	for k := 0; k <= 10; k++ {
		want[jsNumber(0.1*float64(k))] = true
	}
	if !want["0.30000000000000004"] || !want["0.6000000000000001"] || !want["0.5"] {
		t.Fatalf("jsNumber: %v", want)
	}
	seen := map[string]bool{}
	for _, v := range render(t, `{{random.number({"max":1,"precision":0.1})}}`, 4, 3000) {
		seen[v] = true
	}
	if !maps(seen, want) {
		t.Errorf("precision 0.1 gave %v, want %v", seen, want)
	}

	twoDecimals := regexp.MustCompile(`^\d{1,3}(\.\d{1,2})?$`)
	artifacts := 0
	for _, v := range render(t, `{{random.number({"min":10,"max":150,"precision":0.01})}}`, 5, 2000) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 10 || f > 150 {
			t.Fatalf("got %q", v)
		}
		k := math.Round(f / 0.01)
		if jsNumber(0.01*k) != v {
			t.Fatalf("%q is not JavaScript's 0.01*%v", v, k)
		}
		if !twoDecimals.MatchString(v) {
			artifacts++
		}
	}
	if artifacts == 0 || artifacts > 1000 {
		t.Errorf("%d of 2000 values are not plain two-decimal numbers", artifacts)
	}
}

func TestJSONAndRawArgumentsAgree(t *testing.T) {
	raw := render(t, "{{date.now(YYYY-MM-DD)}}", 1, 1)[0]
	quoted := render(t, `{{date.now("YYYY-MM-DD")}}`, 1, 1)[0]
	if raw != "2026-11-27" || quoted != raw {
		t.Errorf("raw %q, JSON %q, want 2026-11-27", raw, quoted)
	}
	// An argument that is not JSON reaches the helper as text.
	if got := render(t, "{{helpers.replaceSymbolWithNumber(ID-###)}}", 1, 1)[0]; !regexp.MustCompile(`^ID-\d{3}$`).MatchString(got) {
		t.Errorf("raw text argument gave %q", got)
	}
	// "" is no argument at all.
	if got := render(t, `{{date.now("")}}`, 1, 1)[0]; got != "2026-11-27T08:15:09+00:00" {
		t.Errorf(`date.now("") gave %q`, got)
	}
}

func TestCurrentTimestampAliasesOnlyTheFirst(t *testing.T) {
	if got := render(t, `{"t":"{{current.timestamp}}"}`, 1, 1)[0]; got != `{"t":"2026-11-27T08:15:09+00:00"}` {
		t.Errorf("got %q", got)
	}
	_, err := Parse("ts.json", "{\"a\":\"{{current.timestamp}}\",\n \"b\":\"{{current.timestamp}}\"}")
	var e *Error
	if !errors.As(err, &e) || e.Line != 2 || e.Col != 7 || !strings.Contains(e.Msg, `unknown module "current"`) {
		t.Errorf("the second alias: got %v, want an unknown module error at 2:7", err)
	}
}

func TestTrimAndNewlines(t *testing.T) {
	src := "\n\t {\n  \"a\": {{random.number(5)}},\r\n  \"b\": \"x\"\r}\u00a0\n"
	got := render(t, src, 1, 1)[0]
	if !regexp.MustCompile(`^\{  "a": [0-5],  "b": "x"\}$`).MatchString(got) {
		t.Errorf("got %q", got)
	}
	// Line numbers count "\r\n", "\n" and "\r" alike.
	_, err := Parse("crlf", "{\r\n\"a\": 1,\r\"b\": {{nope.x}}\n}")
	if err == nil || !strings.HasPrefix(err.Error(), "crlf:3:6: ") {
		t.Errorf("got %v", err)
	}
}

// TestGeneratedPlaceholders: faker.fake re-scans the whole record after
// each replacement, so a value holding a placeholder is evaluated too.
func TestGeneratedPlaceholders(t *testing.T) {
	for _, v := range render(t, `[{{random.arrayElement(["\u007b\u007brandom.number(5\u0029\u007d\u007d"])}}]`, 1, 200) {
		if !regexp.MustCompile(`^\[[0-5]\]$`).MatchString(v) {
			t.Fatalf("got %q", v)
		}
	}
	if v := render(t, `{{helpers.mustache("\u007b\u007bcompany.companySuffix\u007d\u007d")}}`, 1, 1)[0]; !slices.Contains(companySuffixes, v) {
		t.Errorf("got %q", v)
	}
	// Written literally, the inner "}}" ends the outer placeholder: the KDG
	// prints a random character and the rest of the text; Parse refuses it.
	_, err := Parse("nest", `{{random.arrayElement(["{{random.number(5)}}"])}}`)
	if err == nil || !strings.Contains(err.Error(), `nest:1:1: placeholder holds the "{{" at 1:25`) {
		t.Errorf("got %v", err)
	}
	// A generated placeholder that is unknown fails when the record renders.
	tp, err := Parse("gen", `{{helpers.mustache("\u007b\u007bnope.nope\u007d\u007d")}}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tp.Execute(NewFaker(1), testNow); err == nil || !strings.Contains(err.Error(), `gen: in generated text "{{nope.nope}}": unknown module "nope"`) {
		t.Errorf("got %v", err)
	}
}

func TestLoneBraces(t *testing.T) {
	// No "}}" after a "{{": the loop stops and the text stays.
	if got := render(t, `{{random.number(0)}} {{ literal`, 1, 1)[0]; got != "0 {{ literal" {
		t.Errorf("got %q", got)
	}
	// JSON closing two objects at once is fine when no placeholder follows.
	if got := render(t, `{"a":{{random.number(0)}},"b":{"c":1}}`, 1, 1)[0]; got != `{"a":0,"b":{"c":1}}` {
		t.Errorf("got %q", got)
	}
	// But a "}}" before a placeholder makes faker fail; Parse says where.
	_, err := Parse("j", "{\"a\":{\"b\":1}},\n\"c\":{{random.number}}}")
	var e *Error
	if !errors.As(err, &e) || e.Line != 1 || e.Col != 12 || !strings.Contains(e.Msg, `before the placeholder at 2:5`) {
		t.Errorf("got %v", err)
	}
}

func TestReplacementPatterns(t *testing.T) {
	for src, want := range map[string]string{
		`a{{helpers.mustache($$)}}b`:  "a$b",
		"a{{helpers.mustache($`)}}b":  "aab",
		`a{{helpers.mustache($')}}b`:  "abb",
		`a{{helpers.mustache($1)}}b`:  "a$1b",
		`a{{helpers.mustache(US$)}}b`: "aUS$b",
	} {
		if got := render(t, src, 1, 1)[0]; got != want {
			t.Errorf("%s: got %q, want %q", src, got, want)
		}
	}
}

func TestRunawayRecordsStop(t *testing.T) {
	for _, src := range []string{
		`{{helpers.mustache($&)}}`,   // the placeholder replaces itself forever
		`{{helpers.mustache($&$&)}}`, // and doubles each time
	} {
		tp, err := Parse("loop", src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tp.Execute(NewFaker(1), testNow); err == nil || !strings.HasPrefix(err.Error(), "loop: ") {
			t.Errorf("%s: got %v, want an error", src, err)
		}
	}
}

func TestEmptyRecord(t *testing.T) {
	if got := render(t, "{{lorem.words(0)}}", 1, 1)[0]; got != "string parameter is required!" {
		t.Errorf("got %q", got)
	}
	if _, err := Parse("blank", " \n\t"); err == nil || !strings.Contains(err.Error(), "blank:1:1: empty template") {
		t.Errorf("got %v", err)
	}
}

func TestErrorsNameTheirPlace(t *testing.T) {
	src := "{\n" +
		"  \"a\": {{randon.number}},\n" + // 2:8 unknown module
		"  \"b\": {{random.nmber}},\n" + // 3:8 unknown method
		"  \"c\": \"{{date.now()}}\",\n" + // 4:9 empty parentheses
		"  \"d\": {{random.number(\"abc\")}},\n" + // 5:8 wrong argument
		"  \"e\": {{random.number(abc)}}, \"f\": {{ name.firstName }}\n" + // 6:8 raw text, 6:37 spaces
		"}"
	_, err := Parse("click.json", src)
	if err == nil {
		t.Fatal("no error")
	}
	var got []string
	for _, line := range strings.Split(err.Error(), "\n") {
		got = append(got, line)
	}
	want := []string{
		`click.json:2:8: unknown module "randon" in "randon.number" (did you mean random.number?)`,
		`click.json:3:8: unknown helper "random.nmber" (did you mean random.number?)`,
		`click.json:4:9: unknown helper "date.now()": faker does not read "()" as an empty argument list; write {{date.now}}`,
		`click.json:5:8: random.number: takes a number (the maximum) or {"min":…,"max":…,"precision":…}, not a string ("abc") (faker would print NaN)`,
		`click.json:6:8: random.number: takes a number (the maximum) or {"min":…,"max":…,"precision":…}, not a string ("abc") (faker would print NaN)`,
		`click.json:6:37: unknown helper " name.firstName ": no spaces inside the braces`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var e *Error
	if !errors.As(err, &e) || e.Name != "click.json" || e.Line != 2 || e.Col != 8 {
		t.Errorf("errors.As: %+v", e)
	}
}

func TestArgumentErrors(t *testing.T) {
	for src, msg := range map[string]string{
		`{{random.number({"min":5,"max":1})}}`:                            `"min" 5 is above "max" 1`,
		`{{random.number({"max":"9"})}}`:                                  `"max" is a string ("9"), not a number`,
		`{{random.number({"precision":0})}}`:                              `"precision" 0 is not above 0`,
		`{{random.arrayElement(OK,FAIL)}}`:                                `takes a JSON array like ["a","b"], not a string ("OK,FAIL")`,
		`{{random.arrayElement(["a}}b"])}}`:                               `inside a JSON string write them as \u0029`,
		`{{random.arrayElement([OK, FAIL])}}`:                             `not a string ("[OK, FAIL]"); it is not JSON: strings need double quotes`,
		`{{random.arrayElement([])}}`:                                     `non-empty array`,
		`{{random.weightedArrayElement({"weights":[1]})}}`:                `takes {"weights":[…],"data":[…]}`,
		`{{random.weightedArrayElement({"weights":[1,2],"data":["a"]})}}`: `as many weights as data`,
		`{{date.now(2026)}}`:                                              `takes a moment.js format`,
		`{{date.between}}`:                                                `takes [from, to]`,
		`{{date.between(["2021-01-01","2020-01-01"])}}`:                   `to is before from`,
		`{{lorem.words(1000000)}}`:                                        `1000000 is more than 10000`,
		`{{address.city(9)}}`:                                             `format index 9 is not one of 0..3`,
		`{{phone.phoneNumberFormat(20)}}`:                                 `takes an index 0..19`,
		`{{internet.email(42)}}`:                                          `takes a string, not the number 42`,
		`{{random}}`:                                                      `no method after the module`,
		`{{random.number.max}}`:                                           `two levels`,
		`{{}}`:                                                            `empty placeholder`,
		`{{random.arrayElement(["a)b"])}}`:                                `inside a JSON string write them as \u0029 and \u007d\u007d`,
	} {
		_, err := Parse("a", src)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: got %v, want %q", src, err, msg)
		}
	}
}

func TestDeterminism(t *testing.T) {
	src := `{"id":"{{random.uuid}}","n":{{random.number({"min":1,"max":1000})}},"who":"{{name.findName}}",` +
		`"ip":"{{internet.ip}}","ua":"{{internet.userAgent}}","at":"{{date.recent}}","w":"{{random.weightedArrayElement}}",` +
		`"s":{{internet.session}},"text":"{{lorem.sentence}}","card":{{helpers.userCard}}}`
	a := render(t, src, 42, 100)
	b := render(t, src, 42, 100)
	c := render(t, src, 43, 100)
	if !slices.Equal(a, b) {
		t.Error("the same seed gave different records")
	}
	same := 0
	for i := range a {
		if a[i] == c[i] {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 42 and 43 gave %d identical records of 100", same)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(a)))) != 100 {
		t.Error("one seed repeated a record")
	}
}

// TestClockDrivesDates: date.now, date.utc and date.simTime print the clock
// handed to Execute, in its zone, so a simulated clock shows in the data.
func TestClockDrivesDates(t *testing.T) {
	tp, err := Parse("clock", "{{date.now}} {{date.utc}} {{date.simTime(X)}} {{date.now(ZZ z)}}|{{date.utc(HH z)}}")
	if err != nil {
		t.Fatal(err)
	}
	f := NewFaker(1)
	at := time.Date(2021, 3, 4, 5, 6, 7, 0, time.FixedZone("IST", 5*3600+1800))
	got, err := tp.Execute(f, at)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("2021-03-04T05:06:07+05:30 2021-03-03T23:36:07Z %d +0530 |23 UTC", at.Unix())
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	past, err := Parse("past", "{{date.past}}")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := past.Execute(f, at); !strings.HasSuffix(got, "GMT+0530 (IST)") {
		t.Errorf("date.past in +05:30 printed %q", got)
	}
}

func TestTemplateSharedBySenders(t *testing.T) {
	tp, err := Parse("shared", `{{name.firstName}} {{random.number}}`)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []string)
	for range 4 {
		go func() {
			f := NewFaker(9)
			var out []string
			for range 100 {
				v, _ := tp.Execute(f, testNow)
				out = append(out, v)
			}
			done <- out
		}()
	}
	first := <-done
	for range 3 {
		if !slices.Equal(first, <-done) {
			t.Error("senders sharing a template with equal seeds diverged")
		}
	}
}

func BenchmarkExecute(b *testing.B) {
	tp, err := Parse("bench", `{"sensorId": {{random.number(50)}}, "currentTemperature": {{random.number({"min":10,"max":150})}}, `+
		`"status": "{{random.arrayElement(["OK","FAIL","WARN"])}}", "at": "{{date.now("YYYY-MM-DD HH:mm:ss")}}", "who": "{{name.findName}}"}`)
	if err != nil {
		b.Fatal(err)
	}
	f := NewFaker(1)
	for b.Loop() {
		if _, err := tp.Execute(f, testNow); err != nil {
			b.Fatal(err)
		}
	}
}
