package s3delivery

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/streamlog"
)

// TestJavaTimestampPatterns: !{timestamp:...} renders the patterns of
// Java's DateTimeFormatter as Java does (letters and counts, quoted text,
// other characters literal), and refuses what it does not know rather than
// render it wrongly.
func TestJavaTimestampPatterns(t *testing.T) {
	at := time.Date(2018, time.July, 6, 23, 4, 5, 123456789, time.UTC)
	morning := time.Date(2018, time.January, 2, 0, 9, 8, 0, time.UTC)
	for _, c := range []struct {
		pattern string
		at      time.Time
		want    string
	}{
		{"yyyy/MM/dd/HH/", at, "2018/07/06/23/"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSS", at, "2018-07-06T23:04:05.123"},
		{"y yy yyy yyyyy uuuu", at, "2018 18 2018 02018 2018"},
		{"M MM MMM MMMM MMMMM", morning, "1 01 Jan January J"},
		{"d dd D DD DDD", morning, "2 02 2 02 002"},
		{"H HH h hh K k a", morning, "0 00 12 12 0 24 AM"},
		{"hh:mm a", at, "11:04 PM"},
		{"m mm s ss S SSSSSSSSS", morning, "9 09 8 08 0 000000000"},
		{"E EEE EEEE EEEEE", at, "Fri Fri Friday F"},
		{"Q QQ QQQ QQQQ", at, "3 03 Q3 3rd quarter"},
		{"G GGGG", at, "AD Anno Domini"},
		{"Z X XX XXX x", at, "+0000 Z Z Z +00"},
		{"'year='yyyy'/month='MM", at, "year=2018/month=07"},
		{"'it''s' ''", at, "it's '"},
		{"'dt='yyyy-MM-dd/", at, "dt=2018-07-06/"},
	} {
		p, err := parseJavaPattern(c.pattern)
		if err != nil {
			t.Errorf("%q: %v", c.pattern, err)
			continue
		}
		if got := p.format(c.at); got != c.want {
			t.Errorf("%q at %v = %q, want %q", c.pattern, c.at, got, c.want)
		}
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := parseJavaPattern("HH Z XXX"); p.format(at.In(tokyo)) != "08 +0900 +09:00" {
		t.Errorf("in Tokyo: %q", p.format(at.In(tokyo)))
	}
	for _, bad := range []string{"dt=yyyy" /* Java knows no letter t */, "YYYY", "ww", "[yyyy]", "'open", "ddd", "aa", "VV"} {
		if _, err := parseJavaPattern(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

// TestPrefixesAsTheServiceEvaluatesThem: the examples of the service's
// guide to custom prefixes, and its rules: the default YYYY/MM/dd/HH/
// layout is appended to a prefix without a timestamp, an ErrorOutputPrefix
// is needed when the Prefix has expressions and must then name the error
// output type, which the Prefix may not.
func TestPrefixesAsTheServiceEvaluatesThem(t *testing.T) {
	at := time.Date(2018, time.August, 27, 10, 30, 0, 0, time.UTC)
	july := time.Date(2018, time.July, 6, 23, 0, 0, 0, time.UTC)
	var id [16]byte
	for _, c := range []struct {
		prefix, errorPrefix string
		at                  time.Time
		want                string // a regular expression
	}{
		{"", "myFirehoseFailures/!{firehose:error-output-type}/", at, `2018/08/27/10/`},
		{"weblogs/raw/", "", at, `weblogs/raw/2018/08/27/10/`},
		{"myFirehosePrefix", "", at, `myFirehosePrefix2018/08/27/10/`},
		{"myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}", "myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}", at,
			`myFirehose/DeliveredYear=2018/anyMonth/rand=[0-9a-f]{8}-[0-9a-f]{2}`},
		{"myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/", "myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/!{firehose:error-output-type}", july,
			`myPrefix/year=2018/month=07/day=06/hour=23/`},
		{"!{firehose:random-string}/", "e/!{firehose:error-output-type}", at, `[0-9a-f]{8}-[0-9a-f]{2}/2018/08/27/10/`},
	} {
		d := Destination{Prefix: c.prefix, ErrorOutputPrefix: c.errorPrefix}
		if err := d.Check(); err != nil {
			t.Errorf("%q, %q: %v", c.prefix, c.errorPrefix, err)
			continue
		}
		got, err := d.prefix(c.at, id)
		if err != nil || !regexp.MustCompile(`^`+c.want+`$`).MatchString(got) {
			t.Errorf("prefix %q = %q (%v), want %s", c.prefix, got, err, c.want)
		}
	}
	e, _ := parsePrefix("myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/!{firehose:error-output-type}")
	if got := e.eval(july, nil, "processing-failed"); got != "myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed" {
		t.Errorf("error prefix = %q", got)
	}
	two, _ := parsePrefix("!{firehose:random-string}/!{firehose:random-string}")
	if parts := strings.Split(two.eval(at, randomStrings(id), ""), "/"); parts[0] == parts[1] {
		t.Errorf("two random strings are the same: %q", parts)
	}
	for _, c := range []struct{ prefix, errorPrefix, why string }{
		{"!{timestamp:yyyy/MM/dd}", "", "ErrorOutputPrefix cannot be null"},
		{"a/!{firehose:error-output-type}/", "e/!{firehose:error-output-type}", "only in ErrorOutputPrefix"},
		{"a/", "e/!{timestamp:yyyy}/", "must contain !{firehose:error-output-type}"},
		{"a/!{timestamp:yyyy", "", "no closing"},
		{"a/!{firehose:whatever}/", "e/!{firehose:error-output-type}", "random-string and error-output-type"},
		{"a/!{partitionKeyFromQuery:id}/", "e/!{firehose:error-output-type}", "no dynamic partitioning"},
		{"a/!{other:x}/", "e/!{firehose:error-output-type}", "unknown namespace"},
		{"a/!{timestamp:YYYY}/", "e/!{firehose:error-output-type}", "not supported"},
		{strings.Repeat("a", 600), "", "more than 512"},
	} {
		err := Destination{Prefix: c.prefix, ErrorOutputPrefix: c.errorPrefix}.Check()
		if err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%q, %q: %v, want an error saying %q", c.prefix, c.errorPrefix, err, c.why)
		}
	}
	if err := (Destination{CustomTimeZone: "Mars/Olympus"}).Check(); err == nil {
		t.Error("an unknown time zone was accepted")
	}
}

// TestObjectKeysAsTheServiceNamesThem: PREFIX + STREAM-VERSION-TIME-UUID
// + extension, the time (and the prefix's) being the oldest record's
// arrival, in UTC unless CustomTimeZone says otherwise; .gz for GZIP
// unless FileExtension says otherwise. The UUID derives from the stream and
// the batch: the same batch has the same key, another batch another.
func TestObjectKeysAsTheServiceNamesThem(t *testing.T) {
	first := time.Date(2026, 12, 6, 9, 5, 3, 250e6, time.UTC)
	created := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	a, b := streamlog.Seq{Msg: 1}, streamlog.Seq{Msg: 7, Index: 3}
	id := BatchID("clicks", created, a, b)
	d := Destination{Prefix: "weblogs/raw/", CompressionFormat: GZIP}
	key, err := d.ObjectKey("clicks", first, id)
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^weblogs/raw/2026/12/06/09/clicks-1-2026-12-06-09-05-03-[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.gz$`)
	if !want.MatchString(key) {
		t.Fatalf("key %q, want %s", key, want)
	}
	if again, _ := d.ObjectKey("clicks", first, BatchID("clicks", created, a, b)); again != key {
		t.Errorf("the same batch got another key: %q, %q", again, key)
	}
	for _, other := range [][16]byte{BatchID("clicks", created, a, streamlog.Seq{Msg: 7, Index: 4}), BatchID("clicks", created.Add(time.Millisecond), a, b), BatchID("other", created, a, b)} {
		if k, _ := d.ObjectKey("clicks", first, other); k == key {
			t.Errorf("another batch got the same key %q", k)
		}
	}
	plain := Destination{CompressionFormat: Uncompressed}
	if k, _ := plain.ObjectKey("s", first, id); !strings.HasPrefix(k, "2026/12/06/09/s-1-2026-12-06-09-05-03-") || strings.Contains(k[len(k)-5:], ".") {
		t.Errorf("uncompressed key %q", k)
	}
	custom := Destination{CompressionFormat: GZIP, FileExtension: ".json.gz", CustomTimeZone: "Asia/Tokyo"}
	if k, _ := custom.ObjectKey("s", first, id); !strings.HasPrefix(k, "2026/12/06/18/s-1-2026-12-06-18-05-03-") || !strings.HasSuffix(k, ".json.gz") {
		t.Errorf("key with a time zone and an extension: %q", k)
	}
}

// TestGoneRecordsAreNoticed: the first record read after a position is
// the next one, or records are gone from the log (expired, lost).
func TestGoneRecordsAreNoticed(t *testing.T) {
	seq := func(msg uint64, index uint32) streamlog.Seq { return streamlog.Seq{Msg: msg, Index: index} }
	for _, c := range []struct {
		pos, first streamlog.Seq
		gone       bool
	}{
		{seq(0, 0), seq(1, 0), false},
		{seq(0, 0), seq(3, 0), true},
		{seq(4, 2), seq(4, 2), false},
		{seq(4, 2), seq(5, 0), false}, // message 4 had two records
		{seq(4, 2), seq(4, 3), true},
		{seq(4, 2), seq(6, 0), true},
		{seq(4, 0), seq(5, 0), true},
		{seq(4, 2), seq(5, 1), true},
	} {
		if got := skipped(c.pos, c.first); got != c.gone {
			t.Errorf("after %v, first %v: gone %v, want %v", c.pos, c.first, got, c.gone)
		}
	}
}
