package template

import (
	"math"
	"slices"
	"testing"
)

func TestJSNumber(t *testing.T) {
	for x, want := range map[float64]string{
		0: "0", 1: "1", -1: "-1", 100: "100", 0.1: "0.1",
		1.5: "1.5", 123456789012345680000: "123456789012345680000", 1e21: "1e+21", 1.5e300: "1.5e+300",
		0.000001: "0.000001", 1e-7: "1e-7", 1.25e-7: "1.25e-7", 2047742241561673.5: "2047742241561673.5",
		9007199254740991: "9007199254740991", math.Inf(1): "Infinity", math.Inf(-1): "-Infinity",
	} {
		if got := jsNumber(x); got != want {
			t.Errorf("jsNumber(%v) = %q, want %q", x, got, want)
		}
	}
	a, b := 0.1, 0.2 // variables: Go folds constants exactly
	if got := jsNumber(a + b); got != "0.30000000000000004" {
		t.Errorf("0.1+0.2 = %q", got)
	}
	if jsNumber(math.NaN()) != "NaN" || jsNumber(math.Copysign(0, -1)) != "0" {
		t.Error("NaN or -0")
	}
}

func TestJSToFixed(t *testing.T) {
	for _, c := range []struct {
		x    float64
		d    int
		want string
	}{
		{1.005, 2, "1.00"}, // 1.00499999999999989…
		{0.125, 2, "0.13"}, // an exact tie goes up
		{2.5, 0, "3"}, {-2.5, 0, "-3"}, {-0.001, 2, "-0.00"}, {0, 4, "0.0000"},
		{-89.99999, 4, "-90.0000"}, {123.456, 1, "123.5"}, {1e21, 2, "1e+21"}, {0.5, 0, "1"},
	} {
		if got := jsToFixed(c.x, c.d); got != c.want {
			t.Errorf("(%v).toFixed(%d) = %q, want %q", c.x, c.d, got, c.want)
		}
	}
}

func TestParseJSON(t *testing.T) {
	v, err := parseJSON(` {"b":1,"a":[true,null,"x\u0041"],"2":3,"1":4,"b":5} `)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.keys, []string{"1", "2", "b", "a"}) {
		t.Errorf("Object.keys order: %v", v.keys)
	}
	if v.get("b").n != 5 || v.get("a").String() != "true,,xA" {
		t.Errorf("values: %v %q", v.get("b"), v.get("a").String())
	}
	if v.String() != "[object Object]" {
		t.Errorf("String() = %q", v.String())
	}
	for _, bad := range []string{``, `{`, `[1,]`, `01`, `1.`, `"a`, `'a'`, `{a:1}`, `[1] x`, "\"a\tb\"", `tru`} {
		if _, err := parseJSON(bad); err == nil {
			t.Errorf("parseJSON(%q) accepted", bad)
		}
	}
	if v := parseArg("YYYY-MM-DD"); v.k != kString || v.s != "YYYY-MM-DD" {
		t.Errorf("raw text: %+v", v)
	}
	if v := parseArg(" 1e400 "); v.k != kNumber || !math.IsInf(v.n, 1) {
		t.Errorf("1e400: %+v", v)
	}
}

func TestJSONWriterSeparatesBraces(t *testing.T) {
	got := renderJSON([]field{{"a", []field{{"b", []field{{"c", "x\"\n"}}}}}, {"d", []any{[]field{{"e", "é<"}}}}})
	want := `{"a":{"b":{"c":"x\"\n"} },"d":[{"e":"é<"}]}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
