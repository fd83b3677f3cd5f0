package template

import (
	"fmt"
	"testing"
	"time"
)

func TestMomentTokens(t *testing.T) {
	at := testNow // Friday 2026-11-27 08:15:09.123 UTC
	for layout, want := range map[string]string{
		"YYYY YY Y YYYYY YYYYYY":          "2026 26 2026 02026 +002026",
		"M MM MMM MMMM Mo":                "11 11 Nov November 11th",
		"D DD Do DDD DDDD DDDo":           "27 27 27th 331 331 331st",
		"d do dd ddd dddd e E":            "5 5th Fr Fri Friday 5 5",
		"Q Qo":                            "4 4th",
		"H HH h hh k kk m mm s ss":        "8 08 8 08 8 08 15 15 9 09",
		"hmm hmmss Hmm Hmmss":             "815 81509 815 81509",
		"S SS SSS SSSS SSSSSS":            "1 12 123 1230 123000",
		"A a":                             "AM am",
		"Z ZZ z":                          "+00:00 +0000 ",
		"X x":                             fmt.Sprintf("%d %d", at.Unix(), at.UnixMilli()),
		"w ww wo W WW Wo gg gggg GG GGGG": "48 48 48th 48 48 48th 26 2026 26 2026",
		"LT|LTS|L|LL|LLL|LLLL":            "8:15 AM|8:15:09 AM|11/27/2026|November 27, 2026|November 27, 2026 8:15 AM|Friday, November 27, 2026 8:15 AM",
		"l|ll|lll|llll":                   "11/27/2026|Nov 27, 2026|Nov 27, 2026 8:15 AM|Fri, Nov 27, 2026 8:15 AM",
		"[Today is] dddd":                 "Today is Friday",
		"YYYY-MM-DD[T]HH:mm":              "2026-11-27T08:15",
		"[YYYY] [LT] [[x]":                "YYYY LT [x",
		`\Y\Y\Y\Y \[a] \LT`:               "YYYY [am] LT",
		"[a]b]c":                          "a]bc", // to the last "]" before the next "["
		"YYYY\rMM\nDD":                    "20261127",
		"w|":                              "w|",             // moment's [o|w] character class
		"T, ., / and -":                   "T, ., / amn5 -", // a, n, d: letters are tokens
		"dddd, MMMM Do YYYY, h:mm:ss a":   "Friday, November 27th 2026, 8:15:09 am",
		"YYYYMMDDHHmmssSSS":               "20261127081509123",
		"ggggg GGGGG":                     "02026 02026",
	} {
		if got := formatMoment(at, layout, false); got != want {
			t.Errorf("%q: got %q, want %q", layout, got, want)
		}
	}
	if got := formatMoment(at, "z zz", true); got != "UTC UTC" {
		t.Errorf("z in UTC mode: %q", got)
	}
}

func TestMomentDefaults(t *testing.T) {
	ist := time.Date(2021, 3, 4, 5, 6, 7, 0, time.FixedZone("", -(3*3600+1800)))
	if got := formatMoment(ist, "", false); got != "2021-03-04T05:06:07-03:30" {
		t.Errorf("local default: %q", got)
	}
	if got := formatMoment(ist.UTC(), "", true); got != "2021-03-04T08:36:07Z" {
		t.Errorf("UTC default: %q", got)
	}
}

func TestMomentOrdinals(t *testing.T) {
	for day, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd", 23: "23rd", 30: "30th", 31: "31st"} {
		at := time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC)
		if got := formatMoment(at, "Do", false); got != want {
			t.Errorf("day %d: %q, want %q", day, got, want)
		}
	}
	for n, want := range map[int]string{101: "101st", 111: "111th", 112: "112th", 113: "113th", 122: "122nd"} {
		if got := enOrdinal(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

func TestMomentTwelveHourClock(t *testing.T) {
	for hm, want := range map[[2]int]string{
		{0, 5}: "12:05 AM am 24", {11, 59}: "11:59 AM am 11", {12, 0}: "12:00 PM pm 12",
		{13, 7}: "1:07 PM pm 13", {23, 59}: "11:59 PM pm 23",
	} {
		at := time.Date(2026, 5, 1, hm[0], hm[1], 0, 0, time.UTC)
		if got := formatMoment(at, "h:mm A a k", false); got != want {
			t.Errorf("%02d:%02d: %q, want %q", hm[0], hm[1], got, want)
		}
	}
}

func TestMomentWeeks(t *testing.T) {
	for _, c := range []struct {
		date string
		want string
	}{
		{"2026-12-27", "1 2027 52 2026"}, // Sunday: English week 1 of 2027, ISO week 52
		{"2027-01-01", "1 2027 53 2026"}, // 2026 starts on a Thursday: 53 ISO weeks
		{"2026-01-01", "1 2026 1 2026"},
		{"2027-12-31", "1 2028 52 2027"}, // Friday: the English week holding 2028-01-01
	} {
		at, _ := time.Parse("2006-01-02", c.date)
		if got := formatMoment(at, "w gggg W GGGG", false); got != c.want {
			t.Errorf("%s: %q, want %q", c.date, got, c.want)
		}
		y, w := at.ISOWeek()
		if iso := formatMoment(at, "W GGGG", false); iso != fmt.Sprintf("%d %d", w, y) {
			t.Errorf("%s: ISO week %q, Go says %d %d", c.date, iso, w, y)
		}
	}
}

// TestKDGHelpExamples renders the date examples of the KDG's help page.
func TestKDGHelpExamples(t *testing.T) {
	for _, c := range []struct {
		src  string
		at   time.Time
		want string
	}{
		{`{{date.now("dddd, MMMM Do YYYY, h:mm:ss a")}}`, time.Date(2010, 2, 14, 15, 25, 50, 0, time.UTC), "Sunday, February 14th 2010, 3:25:50 pm"},
		{`{{date.now("ddd, hA")}}`, time.Date(2010, 2, 14, 15, 25, 50, 0, time.UTC), "Sun, 3PM"},
		// The page shows -0700, but moment's Z has a colon (ZZ has none).
		{`{{date.now("DD/MMM/YYYY:HH:mm:ss Z")}}`, time.Date(2009, 7, 14, 20, 12, 22, 0, time.FixedZone("", -7*3600)), "14/Jul/2009:20:12:22 -07:00"},
		{`{{date.utc("DD/MMM/YYYY:HH:mm:ss Z")}}`, time.Date(2009, 7, 14, 20, 12, 22, 0, time.FixedZone("", -7*3600)), "15/Jul/2009:03:12:22 +00:00"},
		{`{{date.now}}`, time.Date(2014, 9, 8, 8, 2, 17, 0, time.FixedZone("", -5*3600)), "2014-09-08T08:02:17-05:00"},
	} {
		tp, err := Parse("help", c.src)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tp.Execute(NewFaker(1), c.at); err != nil || got != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.src, got, err, c.want)
		}
	}
}
