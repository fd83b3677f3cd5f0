package template

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// helper is one faker method: run renders it (String() of faker's result)
// and check, when set, refuses at Parse an argument run cannot take.
type helper struct {
	run   func(c *call, arg value) string
	check func(arg value) error
}

// call is what a helper renders with: the Faker and the record's clock.
type call struct {
	f   *Faker
	now time.Time
}

// maxCount bounds counts and lengths taken from a template argument.
const maxCount = 10000

var modules = map[string]bool{
	"address": true, "commerce": true, "company": true, "date": true, "finance": true, "hacker": true,
	"helpers": true, "image": true, "internet": true, "lorem": true, "name": true, "phone": true,
	"random": true, "system": true,
}

// helpers is every method of the KDG's faker.js bundle (section 2.5 of the
// spec) plus the KDG's additions, by "module.method".
var helpers = map[string]*helper{
	"address.city":                {(*call).city, ignoredOrIndex(3)},
	"address.cityPrefix":          {(*call).cityPrefix, nil},
	"address.citySuffix":          {(*call).citySuffix, nil},
	"address.country":             {pickFrom(countries), nil},
	"address.countryCode":         {pickFrom(countryCodes), nil},
	"address.county":              {pickFrom(counties), nil},
	"address.latitude":            {(*call).latitude, nil},
	"address.longitude":           {(*call).longitude, nil},
	"address.nearbyGPSCoordinate": {(*call).nearbyGPSCoordinate, checkCoordinate},
	"address.secondaryAddress":    {(*call).secondaryAddress, nil},
	"address.state":               {pickFrom(states), nil},
	"address.stateAbbr":           {pickFrom(stateAbbrs), nil},
	"address.streetAddress":       {(*call).streetAddress, nil},
	"address.streetName":          {(*call).streetName, nil},
	"address.streetPrefix":        {pickFrom(streetPrefixes), nil},
	"address.streetSuffix":        {pickFrom(streetSuffixes), nil},
	"address.zipCode":             {(*call).zipCode, checkString},

	"commerce.color":            {pickFrom(commerceColors), nil},
	"commerce.department":       {pickFrom(departments), nil},
	"commerce.price":            {(*call).price, checkNumber},
	"commerce.product":          {pickFrom(products), nil},
	"commerce.productAdjective": {pickFrom(productAdjectives), nil},
	"commerce.productMaterial":  {pickFrom(productMaterials), nil},
	"commerce.productName":      {(*call).productName, nil},

	"company.bs":                    {(*call).bs, nil},
	"company.bsAdjective":           {pickFrom(bsAdjectives), nil},
	"company.bsBuzz":                {pickFrom(bsVerbs), nil},
	"company.bsNoun":                {pickFrom(bsNouns), nil},
	"company.catchPhrase":           {(*call).catchPhrase, nil},
	"company.catchPhraseAdjective":  {pickFrom(catchAdjectives), nil},
	"company.catchPhraseDescriptor": {pickFrom(catchDescriptors), nil},
	"company.catchPhraseNoun":       {pickFrom(catchNouns), nil},
	"company.companyName":           {(*call).companyName, ignoredOrIndex(2)},
	"company.companySuffix":         {pickFrom(companySuffixes), nil},
	"company.suffixes":              {func(*call, value) string { return strings.Join(companySuffixes, ",") }, nil},

	"date.between": {(*call).dateBetween, checkBetween},
	"date.future":  {(*call).dateFuture, checkNumber},
	"date.month":   {(*call).dateMonth, nil},
	"date.now":     {(*call).dateNow, checkFormat},
	"date.past":    {(*call).datePast, checkNumber},
	"date.recent":  {(*call).dateRecent, checkNumber},
	"date.simTime": {(*call).dateNow, checkFormat}, // the generator's clock is the simulated one
	"date.utc":     {(*call).dateUTC, checkFormat},
	"date.weekday": {(*call).dateWeekday, nil},

	"finance.account":         {(*call).account, checkCount},
	"finance.accountName":     {(*call).accountName, nil},
	"finance.amount":          {(*call).amount, checkNumber},
	"finance.bitcoinAddress":  {(*call).bitcoinAddress, nil},
	"finance.currencyCode":    {(*call).currencyCode, nil},
	"finance.currencyName":    {(*call).currencyName, nil},
	"finance.currencySymbol":  {(*call).currencySymbol, nil},
	"finance.mask":            {(*call).mask, checkCount},
	"finance.transactionType": {pickFrom(transactionTypes), nil},

	"hacker.abbreviation": {pickFrom(hackerAbbreviations), nil},
	"hacker.adjective":    {pickFrom(hackerAdjectives), nil},
	"hacker.ingverb":      {pickFrom(hackerIngverbs), nil},
	"hacker.noun":         {pickFrom(hackerNouns), nil},
	"hacker.phrase":       {(*call).hackerPhrase, nil},
	"hacker.verb":         {pickFrom(hackerVerbs), nil},

	"helpers.contextualCard":          {(*call).contextualCard, nil},
	"helpers.createCard":              {(*call).createCard, nil},
	"helpers.createTransaction":       {func(c *call, _ value) string { return renderJSON(c.transaction()) }, nil},
	"helpers.mustache":                {(*call).mustache, nil},
	"helpers.randomize":               {(*call).arrayElement, checkArray},
	"helpers.replaceSymbolWithNumber": {(*call).replaceSymbolWithNumber, checkString},
	"helpers.replaceSymbols":          {(*call).replaceSymbols, checkString},
	"helpers.shuffle":                 {(*call).shuffle, checkArray},
	"helpers.slugify":                 {func(_ *call, a value) string { return slugify(stringOr(a, "")) }, checkString},
	"helpers.userCard":                {(*call).userCard, nil},

	"image.abstract":  {imageOf("abstract"), checkNumber},
	"image.animals":   {imageOf("animals"), checkNumber},
	"image.avatar":    {(*call).avatar, nil},
	"image.business":  {imageOf("business"), checkNumber},
	"image.cats":      {imageOf("cats"), checkNumber},
	"image.city":      {imageOf("city"), checkNumber},
	"image.fashion":   {imageOf("fashion"), checkNumber},
	"image.food":      {imageOf("food"), checkNumber},
	"image.image":     {(*call).image, checkNumber},
	"image.imageUrl":  {imageOf(""), checkNumber},
	"image.nature":    {imageOf("nature"), checkNumber},
	"image.nightlife": {imageOf("nightlife"), checkNumber},
	"image.people":    {imageOf("people"), checkNumber},
	"image.sports":    {imageOf("sports"), checkNumber},
	"image.technics":  {imageOf("technics"), checkNumber},
	"image.transport": {imageOf("transport"), checkNumber},

	"internet.avatar":       {(*call).avatar, nil},
	"internet.color":        {(*call).color, checkNumber},
	"internet.domainName":   {(*call).domainName, nil},
	"internet.domainSuffix": {pickFrom(domainSuffixes), nil},
	"internet.domainWord":   {(*call).domainWord, nil},
	"internet.email":        {(*call).email, checkString},
	"internet.exampleEmail": {(*call).exampleEmail, checkString},
	"internet.ip":           {(*call).ip, nil},
	"internet.mac":          {(*call).mac, nil},
	"internet.password":     {(*call).password, checkCount},
	"internet.protocol":     {(*call).protocol, nil},
	"internet.session":      {(*call).session, nil},
	"internet.url":          {(*call).url, nil},
	"internet.userAgent":    {func(c *call, _ value) string { return c.f.gf.UserAgent() }, nil},
	"internet.userName":     {(*call).userNameArg, checkString},

	"lorem.lines":      {func(c *call, a value) string { return c.lines(a) }, checkCount},
	"lorem.paragraph":  {func(c *call, a value) string { return c.paragraph(a) }, checkCount},
	"lorem.paragraphs": {(*call).paragraphs, checkCount},
	"lorem.sentence":   {func(c *call, a value) string { return c.sentence(a) }, checkCount},
	"lorem.sentences":  {func(c *call, a value) string { return c.sentences(a, " ") }, checkCount},
	"lorem.text":       {(*call).loremText, nil},
	"lorem.word":       {pickFrom(loremWords), nil},
	"lorem.words":      {func(c *call, a value) string { return c.words(a) }, checkCount},

	"name.findName":      {(*call).findNameArg, checkString},
	"name.firstName":     {(*call).firstName, nil},
	"name.jobArea":       {pickFrom(jobAreas), nil},
	"name.jobDescriptor": {pickFrom(jobDescriptors), nil},
	"name.jobTitle":      {(*call).jobTitle, nil},
	"name.jobType":       {pickFrom(jobTypes), nil},
	"name.lastName":      {(*call).lastName, nil},
	"name.prefix":        {pickFrom(namePrefixes), nil},
	"name.suffix":        {pickFrom(nameSuffixes), nil},
	"name.title":         {(*call).jobTitle, nil}, // descriptor, level and job: the same three lists

	"phone.phoneFormats":      {pickFrom(phoneFormats), nil},
	"phone.phoneNumber":       {(*call).phoneNumber, checkString},
	"phone.phoneNumberFormat": {(*call).phoneNumberFormat, indexOnly(len(phoneFormats) - 1)},

	"random.alphaNumeric":         {(*call).alphaNumeric, checkCount},
	"random.arrayElement":         {(*call).arrayElement, checkArray},
	"random.boolean":              {func(c *call, _ value) string { return fmt.Sprint(c.f.intn(1) == 1) }, nil},
	"random.image":                {func(c *call, _ value) string { return c.image(undefined) }, nil},
	"random.locale":               {pickFrom(locales), nil},
	"random.number":               {(*call).number, checkNumberOptions},
	"random.objectElement":        {(*call).objectElement, checkObject},
	"random.uuid":                 {(*call).uuid, nil},
	"random.weightedArrayElement": {(*call).weightedArrayElement, checkWeighted},
	"random.word":                 {(*call).word, nil},
	"random.words":                {(*call).randomWords, checkCount},

	"system.commonFileExt":  {(*call).commonFileExt, nil},
	"system.commonFileName": {(*call).commonFileName, checkScalar},
	"system.commonFileType": {pickFrom(commonFileTypes), nil},
	"system.directoryPath":  {pickFrom(directoryPaths), nil},
	"system.fileExt":        {(*call).fileExt, nil},
	"system.fileName":       {(*call).fileName, nil},
	"system.filePath":       {(*call).filePath, nil},
	"system.fileType":       {pickFrom(fileTypes), nil},
	"system.mimeType":       {pickFrom(mimeTypes), nil},
	"system.semver":         {(*call).semver, nil},
}

// pickFrom is a helper that is faker's random.arrayElement over one list.
func pickFrom(list []string) func(*call, value) string {
	return func(c *call, _ value) string { return c.f.pick(list) }
}

// ---- argument checks (Parse time) ----

func checkNumber(v value) error {
	switch {
	case v.nullish():
		return nil
	case v.k != kNumber:
		return fmt.Errorf("takes a number, not %s", shown(v))
	case math.IsInf(v.n, 0):
		return errors.New("number out of range")
	}
	return nil
}

func checkCount(v value) error {
	if err := checkNumber(v); err != nil {
		return err
	}
	if v.k == kNumber && math.Abs(v.n) > maxCount {
		return fmt.Errorf("%s is more than %d", jsNumber(v.n), maxCount)
	}
	return nil
}

func checkString(v value) error {
	if v.nullish() || v.k == kString {
		return nil
	}
	return fmt.Errorf("takes a string, not %s", shown(v))
}

func checkScalar(v value) error {
	if v.k == kArray || v.k == kObject {
		return fmt.Errorf("takes a string, not %s", shown(v))
	}
	return nil
}

func checkFormat(v value) error {
	if v.nullish() || v.k == kString {
		return nil
	}
	return fmt.Errorf("takes a moment.js format like YYYY-MM-DD, not %s (moment would throw)", shown(v))
}

func checkArray(v value) error {
	switch {
	case v.nullish():
		return nil
	case v.k != kArray:
		return fmt.Errorf(`takes a JSON array like ["a","b"], not %s%s`, shown(v), closeHint(v))
	case len(v.arr) == 0:
		return errors.New("takes a non-empty array (faker would print undefined)")
	}
	return nil
}

func checkObject(v value) error {
	switch {
	case v.nullish():
		return nil
	case v.k == kArray && len(v.arr) > 0:
		return nil
	case v.k != kObject:
		return fmt.Errorf(`takes a JSON object like {"a":"x","b":"y"}, not %s%s`, shown(v), closeHint(v))
	case len(v.keys) == 0:
		return errors.New("takes a non-empty object (faker would print undefined)")
	}
	return nil
}

// closeHint explains the usual reason a JSON argument arrives as raw text:
// the placeholder ended at the first ")" or "}}" inside it.
func closeHint(v value) string {
	if v.k != kString || !strings.ContainsAny(v.s[:min(1, len(v.s))], `[{`) {
		return ""
	}
	return "; it is not JSON: strings need double quotes, and " + endsEarly
}

// ignoredOrIndex: faker uses a number argument as an index into its
// formats (0..max) and ignores anything else.
func ignoredOrIndex(max int) func(value) error {
	return func(v value) error {
		if v.k == kNumber && (v.n != math.Trunc(v.n) || v.n < 0 || v.n > float64(max)) {
			return fmt.Errorf("format index %s is not one of 0..%d", jsNumber(v.n), max)
		}
		return nil
	}
}

// indexOnly: the argument, when given, must be an index 0..max.
func indexOnly(max int) func(value) error {
	return func(v value) error {
		if v.nullish() {
			return nil
		}
		if v.k != kNumber || v.n != math.Trunc(v.n) || v.n < 0 || v.n > float64(max) {
			return fmt.Errorf("takes an index 0..%d, not %s", max, shown(v))
		}
		return nil
	}
}

func checkNumberOptions(v value) error {
	switch v.k {
	case kUndefined, kNull:
		return nil
	case kNumber:
		if math.IsInf(v.n, 0) || v.n < 0 {
			return fmt.Errorf("maximum %s is not a finite number >= 0 (the minimum is 0)", jsNumber(v.n))
		}
		return nil
	case kObject:
		o := map[string]float64{"min": 0, "max": 99999, "precision": 1}
		for _, k := range []string{"min", "max", "precision"} {
			m := v.get(k)
			if m.absent() {
				continue
			}
			if m.k != kNumber || math.IsInf(m.n, 0) {
				return fmt.Errorf("%q is %s, not a number", k, shown(m))
			}
			o[k] = m.n
		}
		if o["precision"] <= 0 {
			return fmt.Errorf(`"precision" %s is not above 0`, jsNumber(o["precision"]))
		}
		if o["min"] > o["max"] {
			return fmt.Errorf(`"min" %s is above "max" %s`, jsNumber(o["min"]), jsNumber(o["max"]))
		}
		return nil
	}
	return fmt.Errorf(`takes a number (the maximum) or {"min":…,"max":…,"precision":…}, not %s (faker would print NaN)`, shown(v))
}

func checkWeighted(v value) error {
	if v.nullish() {
		return nil
	}
	w, d := v.get("weights"), v.get("data")
	if v.k != kObject || w.k != kArray || d.k != kArray {
		return fmt.Errorf(`takes {"weights":[…],"data":[…]}, not %s%s`, shown(v), closeHint(v))
	}
	if len(w.arr) == 0 || len(w.arr) != len(d.arr) {
		return fmt.Errorf("takes as many weights as data, at least one (got %d and %d)", len(w.arr), len(d.arr))
	}
	for i, e := range w.arr {
		if e.k != kNumber || e.n < 0 || math.IsInf(e.n, 0) {
			return fmt.Errorf("weight %d is %s, not a number >= 0", i, shown(e))
		}
	}
	return nil
}

func checkCoordinate(v value) error {
	if v.absent() {
		return nil
	}
	if v.k != kArray || len(v.arr) != 2 || v.arr[0].k != kNumber || v.arr[1].k != kNumber {
		return fmt.Errorf("takes [latitude, longitude], not %s", shown(v))
	}
	return nil
}

// checkBetween: faker.fake passes one argument, so date.between(from, to)
// can never get its "to" in the KDG and prints "Invalid Date"; here the one
// argument is the pair.
func checkBetween(v value) error {
	if v.k != kArray || len(v.arr) != 2 {
		return fmt.Errorf(`takes [from, to] (dates like "2026-01-01T00:00:00Z" or epoch milliseconds), not %s`, shown(v))
	}
	from, ok1 := dateArg(v.arr[0], time.UTC)
	to, ok2 := dateArg(v.arr[1], time.UTC)
	switch {
	case !ok1 || !ok2:
		return fmt.Errorf("cannot read %s as [from, to] dates", v.String())
	case to < from:
		return fmt.Errorf("%s: to is before from", v.String())
	}
	return nil
}

// shown describes an argument in an error message.
func shown(v value) string {
	switch v.k {
	case kString:
		return fmt.Sprintf("a string (%q)", v.s)
	case kNumber:
		return "the number " + jsNumber(v.n)
	}
	return v.describe()
}

// stringOr is the argument as a string, or def when it is absent or null.
func stringOr(v value, def string) string {
	if v.k == kString {
		return v.s
	}
	if v.nullish() {
		return def
	}
	return v.String()
}

// numberOr is faker's "arg || def" for a number argument.
func numberOr(v value, def float64) float64 {
	if v.truthy() && v.k == kNumber {
		return v.n
	}
	return def
}

// loops counts the turns of faker's "for (i = 0; i < n; i++)" (and of its
// "for (n; n > 0; n--)"): undefined is handled by the caller, null is 0.
func loops(v value) int {
	if v.k != kNumber || !(v.n > 0) {
		return 0
	}
	return int(math.Ceil(math.Min(v.n, maxCount)))
}
