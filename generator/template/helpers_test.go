package template

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// shape is what one helper must produce: a regular expression for the
// whole value and, optionally, a finer check. arg is the placeholder's
// argument text when the helper needs one to be interesting.
type shape struct {
	arg string
	re  string
	ok  func(v string) error
}

var (
	jsDateRe  = `^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d\d \d{4} \d\d:\d\d:\d\d GMT[+-]\d{4} \(.+\)$`
	lorempix  = `^http://lorempixel\.com/640/480/`
	word      = `[A-Za-z][A-Za-z0-9' .-]*`
	sentence  = `[A-Z][a-z]*( [a-z]+)*\.`
	testNow   = time.Date(2026, 11, 27, 8, 15, 9, 123e6, time.UTC)
	phoneRe   = `^(1-)?(\(\d{3}\) |\d{3}[-.])\d{3}[-.]\d{4}( x\d{3,5})?$`
	loremText = `^[A-Za-z .\n\r]+$`
)

var shapes = map[string]shape{
	"address.city":                {re: `^` + word + `$`},
	"address.cityPrefix":          {re: `^(North|East|West|South|New|Lake|Port)$`},
	"address.citySuffix":          {re: `^[a-z]+$`},
	"address.country":             {ok: oneOf(countries)},
	"address.countryCode":         {re: `^[A-Z]{2}$`},
	"address.county":              {ok: oneOf(counties)},
	"address.latitude":            {re: `^-?\d{1,2}\.\d{4}$`, ok: inRange(-90, 90)},
	"address.longitude":           {re: `^-?\d{1,3}\.\d{4}$`, ok: inRange(-180, 180)},
	"address.nearbyGPSCoordinate": {arg: `[52.52, 13.405]`, re: `^5[23]\.\d{4},13\.\d{4}$`, ok: nearBerlin},
	"address.secondaryAddress":    {re: `^(Apt\.|Suite) \d{3}$`},
	"address.state":               {ok: oneOf(states)},
	"address.stateAbbr":           {re: `^[A-Z]{2}$`},
	"address.streetAddress":       {re: `^\d{3,5} ` + word + ` [A-Z][a-z]+$`},
	"address.streetName":          {re: `^` + word + ` [A-Z][a-z]+$`},
	"address.streetPrefix":        {re: `^[abc]$`},
	"address.streetSuffix":        {re: `^[A-Z][a-z]+$`},
	"address.zipCode":             {re: `^\d{5}(-\d{4})?$`},

	"commerce.color":            {re: `^[a-z]+( [a-z]+)?$`},
	"commerce.department":       {re: `^[A-Z][a-z]+$`},
	"commerce.price":            {re: `^\d{1,4}\.00$`, ok: inRange(0, 1000)},
	"commerce.product":          {re: `^[A-Z][a-z]+$`},
	"commerce.productAdjective": {re: `^[A-Z][a-z]+$`},
	"commerce.productMaterial":  {re: `^[A-Z][a-z]+$`},
	"commerce.productName":      {re: `^[A-Z][a-z]+ [A-Z][a-z]+ [A-Z][a-z]+$`},

	"company.bs":                    {re: `^\S+ [a-z-]+ [\w -]+$`},
	"company.bsAdjective":           {re: `^[\w/-]+$`},
	"company.bsBuzz":                {re: `^[a-z-]+$`},
	"company.bsNoun":                {re: `^[\w -]+$`},
	"company.catchPhrase":           {re: `^[A-Z][\w -]+ [\w/ -]+ [\w -]+$`},
	"company.catchPhraseAdjective":  {re: `^[A-Z][\w -]+$`},
	"company.catchPhraseDescriptor": {re: `^[\w/ -]+$`},
	"company.catchPhraseNoun":       {re: `^[\w -]+$`},
	"company.companyName":           {re: `^(` + word + ` (Inc|and Sons|LLC|Group)|` + word + ` - ` + word + `|` + word + `, ` + word + ` and ` + word + `)$`},
	"company.companySuffix":         {re: `^(Inc|and Sons|LLC|Group)$`},
	"company.suffixes":              {re: `^Inc,and Sons,LLC,Group$`},

	"date.between": {arg: `["2020-01-01", "2020-12-31T23:59:59Z"]`, re: jsDateRe, ok: dateWithin("2020-01-01T00:00:00Z", "2020-12-31T23:59:59Z")},
	"date.future":  {re: jsDateRe, ok: dateWithin("2026-11-27T08:15:10Z", "2027-11-27T08:15:10Z")},
	"date.month":   {ok: oneOf(monthNames)},
	"date.now":     {re: `^2026-11-27T08:15:09\+00:00$`},
	"date.past":    {re: jsDateRe, ok: dateWithin("2025-11-27T08:15:09Z", "2026-11-27T08:15:08Z")},
	"date.recent":  {re: jsDateRe, ok: dateWithin("2026-11-26T08:15:09Z", "2026-11-27T08:15:08Z")},
	"date.simTime": {arg: `HH:mm:ss.SSS`, re: `^08:15:09\.123$`},
	"date.utc":     {re: `^2026-11-27T08:15:09Z$`},
	"date.weekday": {ok: oneOf(weekdayNames)},

	"finance.account":         {re: `^\d{8}$`},
	"finance.accountName":     {re: `^[A-Z][A-Za-z ]+ Account$`},
	"finance.amount":          {re: `^\d{1,4}\.00$`, ok: inRange(0, 1000)},
	"finance.bitcoinAddress":  {re: `^[13][0-9A-Z]{26,33}$`},
	"finance.currencyCode":    {ok: oneOf(currencyCodes)},
	"finance.currencyName":    {ok: oneOf(currencyNames)},
	"finance.currencySymbol":  {re: `^\S+$`},
	"finance.mask":            {re: `^\d{4}$`},
	"finance.transactionType": {re: `^(deposit|withdrawal|payment|invoice)$`},

	"hacker.abbreviation": {re: `^[A-Z0-9]+$`},
	"hacker.adjective":    {re: `^[\w -]+$`},
	"hacker.ingverb":      {re: `^[a-z ]+$`},
	"hacker.noun":         {re: `^[a-z ]+$`},
	"hacker.phrase":       {re: `^[^{}]+!$`},
	"hacker.verb":         {re: `^[a-z ]+$`},

	"helpers.contextualCard":          {ok: card("name", "username", "avatar", "email", "dob", "phone", "address", "website", "company")},
	"helpers.createCard":              {ok: card("name", "username", "email", "address", "phone", "website", "company", "posts", "accountHistory")},
	"helpers.createTransaction":       {ok: card("amount", "date", "business", "name", "type", "account")},
	"helpers.mustache":                {arg: `"plain text"`, re: `^plain text$`},
	"helpers.randomize":               {arg: `["x","y"]`, re: `^[xy]$`},
	"helpers.replaceSymbolWithNumber": {arg: `##-## ?`, re: `^\d\d-\d\d \?$`},
	"helpers.replaceSymbols":          {arg: `??-##`, re: `^[A-Z]{2}-\d{2}$`},
	"helpers.shuffle":                 {arg: `[1,2,3,4]`, ok: permutationOf("1,2,3,4")},
	"helpers.slugify":                 {arg: `Hello World, été!`, re: `^Hello-World-t$`},
	"helpers.userCard":                {ok: card("name", "username", "email", "address", "phone", "website", "company")},

	"image.abstract":  {re: lorempix + `abstract$`},
	"image.animals":   {re: lorempix + `animals$`},
	"image.avatar":    {re: `^https://s3\.amazonaws\.com/uifaces/faces/twitter/[a-z0-9]+/128\.jpg$`},
	"image.business":  {re: lorempix + `business$`},
	"image.cats":      {re: lorempix + `cats$`},
	"image.city":      {re: lorempix + `city$`},
	"image.fashion":   {re: lorempix + `fashion$`},
	"image.food":      {re: lorempix + `food$`},
	"image.image":     {re: lorempix + `(abstract|animals|business|cats|city|food|nightlife|fashion|people|nature|sports|technics|transport)$`},
	"image.imageUrl":  {arg: `300`, re: `^http://lorempixel\.com/300/480$`},
	"image.nature":    {re: lorempix + `nature$`},
	"image.nightlife": {re: lorempix + `nightlife$`},
	"image.people":    {re: lorempix + `people$`},
	"image.sports":    {re: lorempix + `sports$`},
	"image.technics":  {re: lorempix + `technics$`},
	"image.transport": {re: lorempix + `transport$`},

	"internet.avatar":       {re: `^https://s3\.amazonaws\.com/uifaces/faces/twitter/[a-z0-9]+/128\.jpg$`},
	"internet.color":        {re: `^#[0-9a-f]{6}$`},
	"internet.domainName":   {re: `^[a-z][a-z .-]*\.[a-z]+$`},
	"internet.domainSuffix": {re: `^[a-z]+$`},
	"internet.domainWord":   {re: `^[a-z][a-z .-]*$`},
	"internet.email":        {re: `^[\w.-]+@(gmail|yahoo|hotmail)\.com$`},
	"internet.exampleEmail": {re: `^[\w.-]+@example\.(org|com|net)$`},
	"internet.ip":           {re: `^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$`, ok: octets},
	"internet.mac":          {re: `^([0-9a-f]{2}:){5}[0-9a-f]{2}$`},
	"internet.password":     {re: `^\w{15}$`},
	"internet.protocol":     {re: `^https?$`},
	"internet.session":      {re: `^\d{16}(\.\d{1,2})?$`, ok: inRange(1007199254740991, 9007199254740991)},
	"internet.url":          {re: `^https?://[a-z][a-z .-]*\.[a-z]+$`},
	"internet.userAgent":    {re: `^[A-Za-z]+/\d[\w.]* \(.+\).*$`},
	"internet.userName":     {re: `^[A-Za-z][\w.-]*$`},

	"lorem.lines":      {re: `^` + sentence + `(\n` + sentence + `){0,4}$`},
	"lorem.paragraph":  {re: `^` + sentence + `( ` + sentence + `){2,5}$`},
	"lorem.paragraphs": {re: `^` + sentence + `( ` + sentence + `)*(\n \r` + sentence + `( ` + sentence + `)*){2}$`},
	"lorem.sentence":   {re: `^[A-Z][a-z]*( [a-z]+){2,9}\.$`},
	"lorem.sentences":  {re: `^` + sentence + `( ` + sentence + `){1,5}$`},
	"lorem.text":       {re: loremText},
	"lorem.word":       {re: `^[a-z]+$`},
	"lorem.words":      {re: `^[a-z]+ [a-z]+ [a-z]+$`},

	"name.findName":      {re: `^((Mr\.|Mrs\.|Ms\.|Miss|Dr\.) )?` + word + ` ` + word + `$`},
	"name.firstName":     {ok: oneOf(firstNames)},
	"name.jobArea":       {ok: oneOf(jobAreas)},
	"name.jobDescriptor": {ok: oneOf(jobDescriptors)},
	"name.jobTitle":      {re: `^[A-Z]\w+ [A-Z]\w+ [A-Z][\w /&-]+$`},
	"name.jobType":       {ok: oneOf(jobTypes)},
	"name.lastName":      {ok: oneOf(lastNames)},
	"name.prefix":        {re: `^(Mr\.|Mrs\.|Ms\.|Miss|Dr\.)$`},
	"name.suffix":        {re: `^(Jr\.|Sr\.|I|II|III|IV|V|MD|DDS|PhD|DVM)$`},
	"name.title":         {re: `^[A-Z]\w+ [A-Z]\w+ [A-Z][\w /&-]+$`},

	"phone.phoneFormats":      {re: `^[#().\- x1]*#[#().\- x1]*$`},
	"phone.phoneNumber":       {re: phoneRe},
	"phone.phoneNumberFormat": {arg: `1`, re: `^\(\d{3}\) \d{3}-\d{4}$`},

	"random.alphaNumeric":         {arg: `12`, re: `^[0-9a-z]{12}$`},
	"random.arrayElement":         {arg: `["OK","FAIL","WARN"]`, re: `^(OK|FAIL|WARN)$`},
	"random.boolean":              {re: `^(true|false)$`},
	"random.image":                {re: lorempix + `[a-z]+$`},
	"random.locale":               {ok: oneOf(locales)},
	"random.number":               {re: `^\d{1,5}$`, ok: inRange(0, 99999)},
	"random.objectElement":        {arg: `{"a":"x","b":"y"}`, re: `^[xy]$`},
	"random.uuid":                 {re: `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
	"random.weightedArrayElement": {arg: `{"weights":[0.3,0.2,0.5],"data":["cat","fish","dog"]}`, re: `^(cat|fish|dog)$`},
	"random.word":                 {re: `^\S.*$`},
	"random.words":                {re: `^\S.*$`},

	"system.commonFileExt":  {re: `^(pdf|mpga|mp2|mp2a|mp3|m2a|m3a|wav|png|jpeg|jpg|jpe|gif|mp4|mp4v|mpg4|mpeg|mpg|mpe|m1v|m2v|html|htm|shtml)$`},
	"system.commonFileName": {arg: `txt`, re: `^[^ ,A-Z-]+\.txt$`},
	"system.commonFileType": {re: `^(video|audio|image|text|application)$`},
	"system.directoryPath":  {re: `^(/[\w+.-]+)+$`},
	"system.fileExt":        {arg: `image/jpeg`, re: `^(jpeg|jpg|jpe)$`},
	"system.fileName":       {re: `^[^ ,A-Z-]+\.[a-z0-9]+$`},
	"system.filePath":       {re: `^(/[\w+.-]+)+/[^ ,A-Z-]+\.[a-z0-9]+$`},
	"system.fileType":       {re: `^[a-z][\w.-]*$`},
	"system.mimeType":       {re: `^[a-z][\w.+-]*/[\w.+-]+$`},
	"system.semver":         {re: `^\d\.\d\.\d$`},
}

// TestHelperShapes renders every helper many times and checks each value's
// shape. A helper added to the registry without a row here fails.
func TestHelperShapes(t *testing.T) {
	for _, name := range Helpers() {
		if _, ok := shapes[name]; !ok {
			t.Errorf("%s has no shape check", name)
		}
	}
	for name := range shapes {
		if _, ok := helpers[name]; !ok {
			t.Errorf("shape for %s, which is not a helper", name)
		}
	}
	for _, name := range Helpers() {
		sh := shapes[name]
		t.Run(name, func(t *testing.T) {
			src := "{{" + name + "}}"
			if sh.arg != "" {
				src = "{{" + name + "(" + sh.arg + ")}}"
			}
			tp, err := Parse(name, src)
			if err != nil {
				t.Fatal(err)
			}
			var re *regexp.Regexp
			if sh.re != "" {
				re = regexp.MustCompile(sh.re)
			}
			f := NewFaker(7)
			for i := 0; i < 200; i++ {
				v, err := tp.Execute(f, testNow)
				if err != nil {
					t.Fatal(err)
				}
				if re != nil && !re.MatchString(v) {
					t.Fatalf("%s gave %q, which does not match %s", src, v, sh.re)
				}
				if sh.ok != nil {
					if err := sh.ok(v); err != nil {
						t.Fatalf("%s gave %q: %v", src, v, err)
					}
				}
			}
		})
	}
}

func oneOf(list []string) func(string) error {
	return func(v string) error {
		if !slices.Contains(list, v) {
			return fmt.Errorf("not in its list")
		}
		return nil
	}
}

func inRange(lo, hi float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < lo || f > hi {
			return fmt.Errorf("not a number in [%v, %v]", lo, hi)
		}
		return nil
	}
}

func octets(v string) error {
	for _, p := range strings.Split(v, ".") {
		if n, _ := strconv.Atoi(p); n > 255 {
			return fmt.Errorf("octet %d", n)
		}
	}
	return nil
}

// nearBerlin: faker's point lies 6.21371 km from the centre.
func nearBerlin(v string) error {
	lat, lng, _ := strings.Cut(v, ",")
	dlat, _ := strconv.ParseFloat(lat, 64)
	dlng, _ := strconv.ParseFloat(lng, 64)
	if d := (dlat-52.52)*(dlat-52.52) + (dlng-13.405)*(dlng-13.405)*0.37; d > 0.1*0.1 || d < 0.04*0.04 {
		return fmt.Errorf("not about 6 km from [52.52, 13.405]")
	}
	return nil
}

func dateWithin(from, to string) func(string) error {
	lo, _ := time.Parse(time.RFC3339, from)
	hi, _ := time.Parse(time.RFC3339, to)
	return func(v string) error {
		d, err := time.Parse("Mon Jan 02 2006 15:04:05 GMT-0700", v[:strings.Index(v, " (")])
		if err != nil {
			return err
		}
		if d.Before(lo) || d.After(hi) {
			return fmt.Errorf("not between %s and %s", from, to)
		}
		return nil
	}
}

// card checks a helpers.*Card rendering: JSON with faker's keys in order.
func card(keys ...string) func(string) error {
	return func(v string) error {
		dec := json.NewDecoder(strings.NewReader(v))
		if _, err := dec.Token(); err != nil {
			return err
		}
		var got []string
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			got = append(got, k.(string))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
		}
		if !slices.Equal(got, keys) {
			return fmt.Errorf("keys %v, want %v", got, keys)
		}
		if strings.Contains(v, "}}") || strings.Contains(v, "{{") {
			return fmt.Errorf("holds a double brace")
		}
		return nil
	}
}

func permutationOf(want string) func(string) error {
	return func(v string) error {
		a, b := strings.Split(v, ","), strings.Split(want, ",")
		slices.Sort(a)
		if !slices.Equal(a, b) {
			return fmt.Errorf("not a permutation of %s", want)
		}
		return nil
	}
}

// TestWordListsSplit guards the slicing of gofakeit's merged lists.
func TestWordListsSplit(t *testing.T) {
	for name, l := range map[string][]string{
		"catchAdjectives": catchAdjectives, "catchDescriptors": catchDescriptors, "catchNouns": catchNouns,
		"bsVerbs": bsVerbs, "bsAdjectives": bsAdjectives, "bsNouns": bsNouns,
	} {
		if len(l) == 0 || len(l) > 200 {
			t.Errorf("%s has %d words", name, len(l))
		}
	}
	if catchDescriptors[0] != "24 hour" || catchNouns[0] != "ability" || bsAdjectives[0] != "24-365" || bsNouns[0] != "ROI" {
		t.Error("gofakeit's company lists are not where they were")
	}
	if len(currencyNames) != len(currencyCodes) {
		t.Errorf("%d currency names for %d codes", len(currencyNames), len(currencyCodes))
	}
	n := 0
	for _, code := range currencyCodes {
		if currencySymbols[code] != "" {
			n++
		}
	}
	if n < 20 {
		t.Errorf("only %d currencies with a symbol", n)
	}
}

// TestArgumentsAreUsed: the one argument faker.fake passes does what
// faker's first parameter does.
func TestArgumentsAreUsed(t *testing.T) {
	for src, re := range map[string]string{
		`{{date.month({"abbr":true})}}`:                                   `^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$`,
		`{{date.weekday({"abbr":true})}}`:                                 `^(Sun|Mon|Tue|Wed|Thu|Fri|Sat)$`,
		`{{finance.account(4)}}`:                                          `^\d{4}$`,
		`{{finance.mask(6)}}`:                                             `^\d{6}$`,
		`{{finance.amount(990)}}`:                                         `^(99\d|1000)\.00$`,
		`{{lorem.words(5)}}`:                                              `^[a-z]+( [a-z]+){4}$`,
		`{{lorem.sentence(2)}}`:                                           `^[A-Z][a-z]* [a-z]+\.$`,
		`{{internet.password(8)}}`:                                        `^\w{8}$`,
		`{{address.streetAddress(true)}}`:                                 ` (Apt\.|Suite) \d{3}$`,
		`{{address.city(2)}}`:                                             `^\S+[a-z]$`,
		`{{company.companyName(1)}}`:                                      `^` + word + ` - ` + word + `$`,
		`{{image.cats(200)}}`:                                             `^http://lorempixel\.com/200/480/cats$`,
		`{{internet.email("Ann")}}`:                                       `^Ann[\w.]*@`,
		`{{internet.userName(Zoë)}}`:                                      `^Zoë`,
		`{{name.findName("Ann")}}`:                                        `(^| )Ann `,
		`{{phone.phoneNumber("+1 ###-##")}}`:                              `^\+1 \d{3}-\d{2}$`,
		`{{address.zipCode(?? ###)}}`:                                     `^[A-Z]{2} \d{3}$`,
		`{{random.objectElement(["p","q"])}}`:                             `^[pq]$`,
		`{{random.number(0)}}`:                                            `^0$`,
		`{{random.number(null)}}`:                                         `^\d{1,5}$`,
		`{{helpers.shuffle}}`:                                             `^[abc],[abc],[abc]$`,
		`{{helpers.randomize}}`:                                           `^[abc]$`,
		`{{internet.color(255)}}`:                                         `^#[89a-f][0-9a-f][89a-f][0-9a-f][89a-f][0-9a-f]$`,
		`{{system.commonFileName("csv")}}`:                                `\.csv$`,
		`{{random.weightedArrayElement}}`:                                 `^(dog|cat)$`,
		`{{random.weightedArrayElement({"weights":[0,1],"data":[1,2]})}}`: `^2$`,
		`{{address.nearbyGPSCoordinate}}`:                                 `^-?\d+\.\d{4},-?\d+\.\d{4}$`,
	} {
		for _, v := range render(t, src, 11, 50) {
			if !regexp.MustCompile(re).MatchString(v) {
				t.Errorf("%s gave %q, want %s", src, v, re)
				break
			}
		}
	}
	if v := render(t, `{{date.past(10)}}`, 11, 1)[0]; dateWithin("2016-11-27T08:15:00Z", "2026-11-27T08:15:09Z")(v) != nil {
		t.Errorf("date.past(10) gave %q", v)
	}
}
