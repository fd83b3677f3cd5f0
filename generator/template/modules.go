package template

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Each method below follows the faker.js code in the KDG's bundle line by
// line, including the order of its random draws, so that a template gets
// the same kind of values with the same structure. Only the word lists and
// the random source differ.

// ---- name ----

func (c *call) firstName(value) string { return c.f.pick(firstNames) }
func (c *call) lastName(value) string  { return c.f.pick(lastNames) }

func (c *call) jobTitle(value) string {
	return c.f.pick(jobDescriptors) + " " + c.f.pick(jobAreas) + " " + c.f.pick(jobTypes)
}

func (c *call) findNameArg(a value) string { return c.findName(stringOr(a, "")) }

// findName: a prefix one time in nine, else a suffix one time in nine.
func (c *call) findName(first string) string {
	r := c.f.intn(8)
	c.f.intn(1) // the gender faker draws; English names do not use it
	if first == "" {
		first = c.firstName(undefined)
	}
	last := c.lastName(undefined)
	switch r {
	case 0:
		if p := c.f.pick(namePrefixes); p != "" {
			return p + " " + first + " " + last
		}
		fallthrough
	case 1:
		if s := c.f.pick(nameSuffixes); s != "" {
			return first + " " + last + " " + s
		}
	}
	return first + " " + last
}

// ---- address ----

func (c *call) cityPrefix(value) string { return c.f.pick(cityPrefixes) }
func (c *call) citySuffix(value) string { return c.f.pick(citySuffixes) }

func (c *call) city(a value) string {
	format := 0
	if a.k == kNumber {
		format = int(a.n)
	} else {
		format = c.f.intn(3)
	}
	switch format {
	case 0:
		return c.cityPrefix(undefined) + " " + c.firstName(undefined) + c.citySuffix(undefined)
	case 1:
		return c.cityPrefix(undefined) + " " + c.firstName(undefined)
	case 2:
		return c.firstName(undefined) + c.citySuffix(undefined)
	}
	return c.lastName(undefined) + c.citySuffix(undefined)
}

func (c *call) streetName(value) string {
	suffix := c.f.pick(streetSuffixes)
	if suffix != "" {
		suffix = " " + suffix
	}
	if c.f.intn(1) == 0 {
		return c.lastName(undefined) + suffix
	}
	return c.firstName(undefined) + suffix
}

func (c *call) streetAddress(full value) string {
	number := []string{"#####", "####", "###"}[c.f.intn(2)]
	addr := c.f.replaceSymbolWithNumber(number) + " " + c.streetName(undefined)
	if full.truthy() {
		addr += " " + c.secondaryAddress(undefined)
	}
	return addr
}

func (c *call) secondaryAddress(value) string {
	return c.f.replaceSymbolWithNumber(c.f.pick([]string{"Apt. ###", "Suite ###"}))
}

func (c *call) zipCode(format value) string {
	if format.absent() {
		return c.f.replaceSymbols(c.f.pick(postcodes))
	}
	return c.f.replaceSymbols(stringOr(format, ""))
}

func (c *call) latitude(value) string {
	return jsToFixed(c.f.number(180*10000)/10000.0-90.0, 4)
}

func (c *call) longitude(value) string {
	return jsToFixed(c.f.number(360*10000)/10000.0-180.0, 4)
}

// nearbyGPSCoordinate is faker's: a point on the circle of radius 10 around
// the coordinate (faker's "kilometersToMiles" turns that into 6.21371 km),
// or a random coordinate without one. The array prints as "lat,lng".
func (c *call) nearbyGPSCoordinate(coord value) string {
	if coord.absent() {
		return c.latitude(undefined) + "," + c.longitude(undefined)
	}
	const earthRadius = 6378.137
	rad := func(deg float64) float64 { return deg * (math.Pi / 180.0) }
	deg := func(rad float64) float64 { return rad * (180.0 / math.Pi) }
	d := 10.0 * 0.621371
	bearing := rad(float64(c.f.random() * 360.0))
	lat1, lon1 := rad(coord.arr[0].n), rad(coord.arr[1].n)
	lat2 := math.Asin(float64(math.Sin(lat1)*math.Cos(d/earthRadius)) +
		float64(math.Cos(lat1)*math.Sin(d/earthRadius)*math.Cos(bearing)))
	lon2 := lon1 + math.Atan2(math.Sin(bearing)*math.Sin(d/earthRadius)*math.Cos(lat1),
		math.Cos(d/earthRadius)-float64(math.Sin(lat1)*math.Sin(lat2)))
	if lon2 > rad(180) {
		lon2 -= rad(360)
	} else if lon2 < rad(-180) {
		lon2 += rad(360)
	}
	return jsToFixed(deg(lat2), 4) + "," + jsToFixed(deg(lon2), 4)
}

// ---- commerce ----

func (c *call) productName(value) string {
	return c.f.pick(productAdjectives) + " " + c.f.pick(productMaterials) + " " + c.f.pick(products)
}

// price and finance.amount: an integer between min (default 0) and 1000,
// printed with two decimals (faker rounds the integer to cents).
func (c *call) price(min value) string {
	m := numberOr(min, 0)
	if m < 0 {
		return "0" // faker: symbol + 0.00
	}
	return c.money(m)
}

func (c *call) amount(min value) string { return c.money(numberOr(min, 0)) }

func (c *call) money(min float64) string {
	v := c.f.numberRange(min, 1000, 1)
	return jsToFixed(jsRound(v*100)/100, 2)
}

// ---- company ----

func (c *call) bs(value) string {
	return c.f.pick(bsAdjectives) + " " + c.f.pick(bsVerbs) + " " + c.f.pick(bsNouns)
}

func (c *call) catchPhrase(value) string {
	return c.f.pick(catchAdjectives) + " " + c.f.pick(catchDescriptors) + " " + c.f.pick(catchNouns)
}

func (c *call) companyName(a value) string {
	format := 0
	if a.k == kNumber {
		format = int(a.n)
	} else {
		format = c.f.intn(2)
	}
	last := func() string { return c.lastName(undefined) }
	switch format {
	case 0:
		return last() + " " + c.f.pick(companySuffixes)
	case 1:
		return last() + " - " + last()
	}
	return last() + ", " + last() + " and " + last()
}

// ---- date ----

// years and days turn faker's arguments into milliseconds with faker's
// left-to-right arithmetic, so fractional arguments round the same way.
func years(n float64) float64 { return n * 365 * 24 * 3600 * 1000 }
func days(n float64) float64  { return n * 24 * 3600 * 1000 }

func (c *call) dateNow(format value) string {
	return formatMoment(c.now, stringOr(format, ""), false)
}

func (c *call) dateUTC(format value) string {
	return formatMoment(c.now.UTC(), stringOr(format, ""), true)
}

func (c *call) datePast(y value) string {
	return c.jsDate(c.now.UnixMilli() - int64(c.f.numberRange(1000, years(numberOr(y, 1)), 1)))
}

func (c *call) dateFuture(y value) string {
	return c.jsDate(c.now.UnixMilli() + int64(c.f.numberRange(1000, years(numberOr(y, 1)), 1)))
}

func (c *call) dateRecent(d value) string {
	return c.jsDate(c.now.UnixMilli() - int64(c.f.numberRange(1000, days(numberOr(d, 1)), 1)))
}

func (c *call) dateBetween(pair value) string {
	from, _ := dateArg(pair.arr[0], c.now.Location())
	to, _ := dateArg(pair.arr[1], c.now.Location())
	return c.jsDate(from + int64(c.f.number(float64(to-from))))
}

func (c *call) dateMonth(options value) string {
	if options.get("abbr").truthy() {
		return c.f.pick(monthsShort)
	}
	return c.f.pick(monthNames)
}

func (c *call) dateWeekday(options value) string {
	if options.get("abbr").truthy() {
		return c.f.pick(weekdayShort)
	}
	return c.f.pick(weekdayNames)
}

// jsDate is String(new Date(ms)) in the clock's zone, as a browser prints
// it: "Fri Nov 27 2026 08:15:00 GMT+0000 (Coordinated Universal Time)".
func (c *call) jsDate(ms int64) string {
	t := time.UnixMilli(ms).In(c.now.Location())
	zone, _ := t.Zone()
	if zone == "UTC" || zone == "" {
		zone = "Coordinated Universal Time"
	}
	return t.Format("Mon Jan 02 2006 15:04:05 GMT-0700") + " (" + zone + ")"
}

// isoDate is Date.prototype.toJSON: what JSON.stringify makes of a Date.
func isoDate(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// dateArg reads a date given to date.between: epoch milliseconds, or an ISO
// 8601 date ("2026-01-02" is UTC midnight, a date-time without an offset is
// local time, as Date.parse has it).
func dateArg(v value, loc *time.Location) (int64, bool) {
	if v.k == kNumber {
		if math.IsInf(v.n, 0) || math.IsNaN(v.n) {
			return 0, false
		}
		return int64(v.n), true
	}
	if v.k != kString {
		return 0, false
	}
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if t, err := time.ParseInLocation(layout, v.s, time.UTC); err == nil {
			return t.UnixMilli(), true
		}
	}
	s := strings.Replace(v.s, " ", "T", 1)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), true
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}

// ---- finance ----

func (c *call) account(length value) string {
	n := loops(num(numberOr(length, 8)))
	return c.f.replaceSymbolWithNumber(strings.Repeat("#", n))
}

func (c *call) accountName(value) string { return c.f.pick(accountTypes) + " Account" }

// mask: faker.fake passes one argument, so parens and ellipsis stay
// undefined (not null) and the mask is the digits alone.
func (c *call) mask(length value) string {
	n := loops(num(numberOr(length, 4)))
	return c.f.replaceSymbolWithNumber(strings.Repeat("#", n))
}

func (c *call) currencyCode(value) string { return currencyCodes[c.f.intn(len(currencyCodes)-1)] }

func (c *call) currencyName(value) string {
	if len(currencyNames) != len(currencyCodes) {
		return c.f.pick(currencyNames)
	}
	return currencyNames[c.f.intn(len(currencyNames)-1)]
}

// currencySymbol draws currencies until one has a symbol, as faker does.
func (c *call) currencySymbol(value) string {
	for i := 0; i < maxCount; i++ {
		if s := currencySymbols[c.currencyCode(undefined)]; s != "" {
			return s
		}
	}
	return "$"
}

func (c *call) bitcoinAddress(value) string {
	n := c.f.between(27, 34)
	addr := c.f.pick([]string{"1", "3"})
	for i := 0; i < n-1; i++ {
		addr += strings.ToUpper(c.f.pick(alphaNumerics))
	}
	return addr
}

// ---- hacker ----

// hackerPhrase fills a phrase the way faker's helpers.mustache does: key by
// key, each occurrence with a new word.
func (c *call) hackerPhrase(value) string {
	phrase := c.f.pick(hackerPhrases)
	for _, k := range []struct {
		key  string
		list []string
	}{{"abbreviation", hackerAbbreviations}, {"adjective", hackerAdjectives}, {"ingverb", hackerIngverbs}, {"noun", hackerNouns}, {"verb", hackerVerbs}} {
		parts := strings.Split(phrase, "{{"+k.key+"}}")
		for i := 1; i < len(parts); i++ {
			parts[i] = c.f.pick(k.list) + parts[i]
		}
		phrase = strings.Join(parts, "")
	}
	return phrase
}

// ---- helpers ----

func (c *call) mustache(s value) string {
	if s.absent() {
		return ""
	}
	return s.String()
}

func (c *call) replaceSymbolWithNumber(s value) string {
	return c.f.replaceSymbolWithNumber(stringOr(s, ""))
}

func (c *call) replaceSymbols(s value) string { return c.f.replaceSymbols(stringOr(s, "")) }

// shuffle is faker's (slightly biased) in-place shuffle; the array prints
// as its elements joined by commas.
func (c *call) shuffle(a value) string {
	o := []value{str("a"), str("b"), str("c")}
	if !a.nullish() {
		o = append([]value(nil), a.arr...)
	}
	for i := len(o) - 1; i > 0; {
		j := c.f.intn(i)
		i--
		o[i], o[j] = o[j], o[i]
	}
	return value{k: kArray, arr: o}.String()
}

// slugify: spaces become "-", then everything but [A-Za-z0-9_.-] goes.
func slugify(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '_' || r == '.' || r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (c *call) geo() []field {
	return []field{{"lat", c.latitude(undefined)}, {"lng", c.longitude(undefined)}}
}

func (c *call) company() []field {
	return []field{{"name", c.companyName(undefined)}, {"catchPhrase", c.catchPhrase(undefined)}, {"bs", c.bs(undefined)}}
}

func (c *call) createCard(value) string {
	card := []field{
		{"name", c.findName("")},
		{"username", c.userName("")},
		{"email", c.email(undefined)},
		{"address", []field{
			{"streetA", c.streetName(undefined)},
			{"streetB", c.streetAddress(undefined)},
			{"streetC", c.streetAddress(value{k: kBool, b: true})},
			{"streetD", c.secondaryAddress(undefined)},
			{"city", c.city(undefined)},
			{"state", c.f.pick(states)},
			{"country", c.f.pick(countries)},
			{"zipcode", c.zipCode(undefined)},
			{"geo", c.geo()},
		}},
		{"phone", c.phoneNumber(undefined)},
		{"website", c.domainName(undefined)},
		{"company", c.company()},
	}
	var posts []any
	for i := 0; i < 3; i++ {
		posts = append(posts, []field{
			{"words", c.words(undefined)},
			{"sentence", c.sentence(undefined)},
			{"sentences", c.sentences(undefined, " ")},
			{"paragraph", c.paragraph(undefined)},
		})
	}
	history := []any{c.transaction(), c.transaction(), c.transaction()}
	card = append(card, field{"posts", posts}, field{"accountHistory", history})
	return renderJSON(card)
}

func (c *call) contextualCard(value) string {
	name := c.firstName(undefined)
	user := c.userName(name)
	// faker's reference date: Sat Sep 20 1992 21:35:02 GMT+0200
	ref := time.Date(1992, 9, 20, 19, 35, 2, 0, time.UTC).UnixMilli()
	return renderJSON([]field{
		{"name", name},
		{"username", user},
		{"avatar", c.avatar(undefined)},
		{"email", c.email(str(user))},
		{"dob", isoDate(ref - int64(c.f.numberRange(1000, years(50), 1)))},
		{"phone", c.phoneNumber(undefined)},
		{"address", c.cardAddress()},
		{"website", c.domainName(undefined)},
		{"company", c.company()},
	})
}

// cardAddress is the address of faker's cards.
func (c *call) cardAddress() []field {
	return []field{
		{"street", c.streetName(undefined)},
		{"suite", c.secondaryAddress(undefined)},
		{"city", c.city(undefined)},
		{"zipcode", c.zipCode(undefined)},
		{"geo", c.geo()},
	}
}

func (c *call) userCard(value) string {
	return renderJSON([]field{
		{"name", c.findName("")},
		{"username", c.userName("")},
		{"email", c.email(undefined)},
		{"address", c.cardAddress()},
		{"phone", c.phoneNumber(undefined)},
		{"website", c.domainName(undefined)},
		{"company", c.company()},
	})
}

func (c *call) transaction() []field {
	// new Date(2012, 1, 2): local midnight, printed by JSON.stringify in UTC
	date := time.Date(2012, time.February, 2, 0, 0, 0, 0, c.now.Location()).UnixMilli()
	return []field{
		{"amount", c.amount(undefined)},
		{"date", isoDate(date)},
		{"business", c.companyName(undefined)},
		{"name", c.accountName(undefined) + " " + c.mask(undefined)},
		{"type", c.f.pick(transactionTypes)},
		{"account", c.account(undefined)},
	}
}

// ---- image ----

func imageOf(category string) func(*call, value) string {
	return func(_ *call, width value) string { return imageURL(width, category) }
}

func (c *call) image(width value) string { return imageURL(width, c.f.pick(imageCategories)) }

// imageURL is faker's image.imageUrl(width): the height cannot be passed.
func imageURL(width value, category string) string {
	url := "http://lorempixel.com/" + jsNumber(numberOr(width, 640)) + "/480"
	if category != "" {
		url += "/" + category
	}
	return url
}

// ---- internet ----

// avatar approximates faker's list of uifaces URLs with the same shape.
func (c *call) avatar(value) string {
	handle := strings.ToLower(c.f.pick(firstNames) + c.f.pick(lastNames))
	handle = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, handle)
	return "https://s3.amazonaws.com/uifaces/faces/twitter/" + handle + "/128.jpg"
}

func (c *call) userNameArg(first value) string { return c.userName(stringOr(first, "")) }

func (c *call) userName(first string) string {
	if first == "" {
		first = c.firstName(undefined)
	}
	last := c.lastName(undefined)
	var u string
	switch c.f.intn(2) {
	case 0:
		u = first + strconv.Itoa(c.f.intn(99))
	case 1:
		u = first + c.f.pick([]string{".", "_"}) + last
	default:
		u = first + c.f.pick([]string{".", "_"}) + last + strconv.Itoa(c.f.intn(99))
	}
	return strings.ReplaceAll(strings.ReplaceAll(u, "'", ""), " ", "")
}

func (c *call) email(first value) string {
	provider := c.f.pick(freeEmails)
	return slugify(c.userName(stringOr(first, ""))) + "@" + provider
}

func (c *call) exampleEmail(first value) string {
	provider := c.f.pick(exampleEmails)
	return slugify(c.userName(stringOr(first, ""))) + "@" + provider
}

func (c *call) protocol(value) string { return c.f.pick([]string{"http", "https"}) }

func (c *call) url(value) string { return c.protocol(undefined) + "://" + c.domainName(undefined) }

func (c *call) domainName(value) string {
	return c.domainWord(undefined) + "." + c.f.pick(domainSuffixes)
}

func (c *call) domainWord(value) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		if strings.ContainsRune(`\~#&*{}/:<>?|"'`, r) {
			return -1
		}
		return r
	}, c.firstName(undefined)))
}

func (c *call) ip(value) string {
	parts := make([]string, 4)
	for i := range parts {
		parts[i] = jsToFixed(c.f.number(255), 0)
	}
	return strings.Join(parts, ".")
}

func (c *call) mac(value) string {
	var b strings.Builder
	for i := 0; i < 12; i++ {
		b.WriteString(strconv.FormatInt(int64(c.f.intn(15)), 16))
		if i%2 == 1 && i != 11 {
			b.WriteByte(':')
		}
	}
	return b.String()
}

// password is faker's password-generator, not memorable: characters drawn
// from "!".."~" until one matches \w.
func (c *call) password(length value) string {
	n := loops(num(numberOr(length, 15)))
	var b strings.Builder
	for b.Len() < n {
		ch := byte(math.Floor(c.f.random()*94) + 33)
		if ch == '_' || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') {
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// color: each channel is (random.number(256) + base) / 2, floored.
func (c *call) color(base value) string {
	b := numberOr(base, 0)
	var s strings.Builder
	s.WriteByte('#')
	for i := 0; i < 3; i++ {
		v := int64(math.Floor((c.f.number(256) + b) / 2))
		h := strconv.FormatInt(v, 16)
		if len(h) == 1 {
			s.WriteByte('0')
		}
		s.WriteString(h)
	}
	return s.String()
}

// session is the KDG's addition: a float between about 1.007e15 and
// Number.MAX_SAFE_INTEGER, printed as JavaScript prints it.
func (c *call) session(value) string {
	const lo, hi = 1007199254740991.0, 9007199254740991.0
	return jsNumber(float64(c.f.random()*(hi-lo)) + lo)
}

// ---- lorem ----

func (c *call) words(n value) string {
	if n.absent() {
		n = num(3)
	}
	words := make([]string, loops(n))
	for i := range words {
		words[i] = c.f.pick(loremWords)
	}
	return strings.Join(words, " ")
}

func (c *call) sentence(n value) string {
	if n.absent() {
		n = num(float64(c.f.between(3, 10)))
	}
	s := c.words(n)
	if s == "" {
		return "."
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func (c *call) sentences(n value, sep string) string {
	if n.absent() {
		n = num(float64(c.f.between(2, 6)))
	}
	s := make([]string, loops(n))
	for i := range s {
		s[i] = c.sentence(undefined)
	}
	return strings.Join(s, sep)
}

func (c *call) paragraph(n value) string {
	count := 3.0
	if !n.absent() {
		count = numberOr(n, 0)
	}
	return c.sentences(num(count+c.f.number(3)), " ")
}

func (c *call) paragraphs(n value) string {
	if n.absent() {
		n = num(3)
	}
	p := make([]string, loops(n))
	for i := range p {
		p[i] = c.paragraph(undefined)
	}
	return strings.Join(p, "\n \r")
}

func (c *call) lines(n value) string {
	if n.absent() {
		n = num(float64(c.f.between(1, 5)))
	}
	return c.sentences(n, "\n")
}

func (c *call) loremText(value) string {
	switch c.f.intn(6) {
	case 0:
		return c.f.pick(loremWords)
	case 1:
		return c.words(undefined)
	case 2:
		return c.sentence(undefined)
	case 3:
		return c.sentences(undefined, " ")
	case 4:
		return c.paragraph(undefined)
	case 5:
		return c.paragraphs(undefined)
	}
	return c.lines(undefined)
}

// ---- phone ----

func (c *call) phoneNumber(format value) string {
	f := stringOr(format, "")
	if f == "" {
		f = c.f.pick(phoneFormats)
	}
	return c.f.replaceSymbolWithNumber(f)
}

func (c *call) phoneNumberFormat(index value) string {
	return c.f.replaceSymbolWithNumber(phoneFormats[int(numberOr(index, 0))])
}

// ---- random ----

func (c *call) number(o value) string {
	switch o.k {
	case kNumber:
		return jsNumber(c.f.number(o.n))
	case kObject:
		get := func(k string, def float64) float64 {
			if v := o.get(k); v.k == kNumber {
				return v.n
			}
			return def
		}
		return jsNumber(c.f.numberRange(get("min", 0), get("max", 99999), get("precision", 1)))
	}
	return jsNumber(c.f.number(99999))
}

func (c *call) arrayElement(a value) string {
	if a.nullish() {
		return c.f.pick([]string{"a", "b", "c"})
	}
	return a.arr[c.f.intn(len(a.arr)-1)].String()
}

func (c *call) objectElement(o value) string {
	if o.nullish() {
		o, _ = parseJSON(`{"foo":"bar","too":"car"}`)
	}
	if o.k == kArray {
		return c.arrayElement(o)
	}
	return o.obj[c.f.pick(o.keys)].String()
}

func (c *call) uuid(value) string {
	b := []byte("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx")
	for i, ch := range b {
		if ch != 'x' && ch != 'y' {
			continue
		}
		r := int64(c.f.between(0, 15))
		if ch == 'y' {
			r = r&0x3 | 0x8
		}
		b[i] = strconv.FormatInt(r, 16)[0]
	}
	return string(b)
}

// weightedArrayElement is the KDG's addition, with its rounding of the
// running total to two decimals; it prints undefined when the draw falls
// past the rounded total, as the KDG does.
func (c *call) weightedArrayElement(o value) string {
	weights := []float64{0.5, 0.5}
	data := []value{str("dog"), str("cat")}
	if !o.nullish() {
		weights = weights[:0]
		for _, w := range o.get("weights").arr {
			weights = append(weights, w.n)
		}
		data = o.get("data").arr
	}
	total := weights[0]
	for _, w := range weights[1:] {
		total += w
	}
	r := c.f.random() * total
	sum := 0.0
	for i := range data {
		sum = jsParseFloat(jsToFixed(sum+weights[i], 2))
		if r <= sum {
			return data[i].String()
		}
	}
	return "undefined"
}

// wordMethods is faker's random.word list of helpers.
var wordMethods = []func(*call) string{
	func(c *call) string { return c.f.pick(departments) },
	func(c *call) string { return c.productName(undefined) },
	func(c *call) string { return c.f.pick(productAdjectives) },
	func(c *call) string { return c.f.pick(productMaterials) },
	func(c *call) string { return c.f.pick(products) },
	func(c *call) string { return c.f.pick(commerceColors) },
	func(c *call) string { return c.f.pick(catchAdjectives) },
	func(c *call) string { return c.f.pick(catchDescriptors) },
	func(c *call) string { return c.f.pick(catchNouns) },
	func(c *call) string { return c.f.pick(bsAdjectives) },
	func(c *call) string { return c.f.pick(bsVerbs) },
	func(c *call) string { return c.f.pick(bsNouns) },
	func(c *call) string { return c.f.pick(streetSuffixes) },
	func(c *call) string { return c.f.pick(counties) },
	func(c *call) string { return c.f.pick(countries) },
	func(c *call) string { return c.f.pick(states) },
	func(c *call) string { return c.accountName(undefined) },
	func(c *call) string { return c.f.pick(transactionTypes) },
	func(c *call) string { return c.currencyName(undefined) },
	func(c *call) string { return c.f.pick(hackerNouns) },
	func(c *call) string { return c.f.pick(hackerVerbs) },
	func(c *call) string { return c.f.pick(hackerAdjectives) },
	func(c *call) string { return c.f.pick(hackerIngverbs) },
	func(c *call) string { return c.f.pick(hackerAbbreviations) },
	func(c *call) string { return c.f.pick(jobDescriptors) },
	func(c *call) string { return c.f.pick(jobAreas) },
	func(c *call) string { return c.f.pick(jobTypes) },
}

func (c *call) word(value) string { return wordMethods[c.f.intn(len(wordMethods)-1)](c) }

func (c *call) randomWords(n value) string {
	if n.absent() {
		n = num(float64(c.f.between(1, 3)))
	}
	w := make([]string, loops(n))
	for i := range w {
		w[i] = c.word(undefined)
	}
	return strings.Join(w, " ")
}

// alphaNumeric(count) as in faker 3.1+: count characters of [0-9a-z].
func (c *call) alphaNumeric(n value) string {
	if n.absent() {
		n = num(1)
	}
	var b strings.Builder
	for i := loops(n); i > 0; i-- {
		b.WriteString(c.f.pick(alphaNumerics))
	}
	return b.String()
}

// ---- system ----

func (c *call) commonFileExt(value) string {
	return c.f.pick(mimeExts[c.f.pick(commonMimes)])
}

func (c *call) fileExt(mime value) string {
	if exts, ok := mimeExts[stringOr(mime, "")]; ok {
		return c.f.pick(exts)
	}
	return c.f.pick(fileExts)
}

func (c *call) commonFileName(ext value) string {
	name := c.randomWords(undefined) + "."
	if ext.truthy() {
		name += ext.String()
	} else {
		name += c.commonFileExt(undefined)
	}
	return fileNameCase(name)
}

func (c *call) fileName(value) string {
	return fileNameCase(c.randomWords(undefined) + "." + c.fileExt(undefined))
}

// fileNameCase: spaces, commas, hyphens and backslashes become "_", then
// lower case.
func fileNameCase(s string) string {
	return strings.ToLower(strings.NewReplacer(" ", "_", ",", "_", "-", "_", `\`, "_").Replace(s))
}

func (c *call) filePath(value) string {
	return c.f.pick(directoryPaths) + "/" + c.fileName(undefined)
}

func (c *call) semver(value) string {
	return strconv.Itoa(c.f.intn(9)) + "." + strconv.Itoa(c.f.intn(9)) + "." + strconv.Itoa(c.f.intn(9))
}
