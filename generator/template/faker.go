package template

import (
	"math"
	"math/rand/v2"
	"strings"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/brianvoe/gofakeit/v7/data"
)

// Faker is the seeded source of fake data a sender renders with. It is not
// safe for concurrent use: give each sender its own.
type Faker struct {
	rng *rand.Rand
	gf  *gofakeit.Faker // shares rng's source, so gofakeit's draws are seeded too
}

// NewFaker returns a Faker whose output depends only on seed (0 included;
// gofakeit.New(0) would pick a random seed, so it is not used).
func NewFaker(seed uint64) *Faker {
	src := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	return &Faker{rng: rand.New(src), gf: gofakeit.NewFaker(src, false)}
}

// random stands for both of faker's generators (its Mersenne Twister and
// Math.random): a float in [0, 1).
func (f *Faker) random() float64 { return f.rng.Float64() }

// numberRange is faker's random.number({min, max, precision}) with its
// arithmetic kept step by step, so the same draw gives the same result as
// in the browser: max is made inclusive by adding one precision step (only
// when max >= 0), then precision * floor(mersenne.rand(max/p, min/p)).
func (f *Faker) numberRange(min, max, precision float64) float64 {
	if max >= 0 {
		max += precision
	}
	hi, lo := max/precision, min/precision
	scaled := float64(f.random()*(hi-lo)) + lo // float64(): no fused multiply-add, same result on every CPU
	return precision * math.Floor(math.Floor(scaled))
}

// number is faker's random.number(max): an integer in [0, max].
func (f *Faker) number(max float64) float64 { return f.numberRange(0, max, 1) }

// intn is random.number(max) as an int.
func (f *Faker) intn(max int) int { return int(f.number(float64(max))) }

// between is random.number({min, max}) as an int.
func (f *Faker) between(min, max int) int { return int(f.numberRange(float64(min), float64(max), 1)) }

// pick is faker's random.arrayElement on a list of strings.
func (f *Faker) pick(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[f.intn(len(list)-1)]
}

// replaceSymbolWithNumber is faker's helper: every '#' becomes a digit.
func (f *Faker) replaceSymbolWithNumber(s string) string {
	if !strings.Contains(s, "#") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '#' {
			b.WriteByte(byte('0' + f.intn(9)))
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// replaceSymbols is faker's helper: '#' becomes a digit, '?' a capital letter.
func (f *Faker) replaceSymbols(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '#':
			b.WriteByte(byte('0' + f.intn(9)))
		case '?':
			b.WriteByte(byte('A' + f.intn(25)))
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Word lists. Names, places, companies, jobs, hacker and lorem words come
// from gofakeit's data (English); the short lists that give faker's output
// its shape (phone formats, commerce words, account types…) are faker's own.
var (
	firstNames   = data.Person["first"]
	lastNames    = data.Person["last"]
	namePrefixes = data.Person["prefix"]
	nameSuffixes = data.Person["suffix"]

	jobDescriptors = data.Job["descriptor"]
	jobAreas       = data.Job["level"]
	jobTypes       = data.Job["title"]

	cityPrefixes   = data.Address["street_prefix"] // North, East, … Port: faker's city_prefix
	citySuffixes   = data.Address["street_suffix"] // town, ton, land, …: faker's city_suffix
	streetSuffixes = data.Address["street_name"]   // Alley, Avenue, …: faker's street_suffix
	streetPrefixes = []string{"a", "b", "c"}       // faker's en locale has none: it falls back to this
	counties       = []string{"Avon", "Bedfordshire", "Berkshire", "Borders", "Buckinghamshire", "Cambridgeshire"}
	countries      = data.Address["country"]
	countryCodes   = data.Address["country_abr"]
	states         = data.Address["state"]
	stateAbbrs     = data.Address["state_abr"]
	postcodes      = []string{"#####", "#####-####"}

	// faker's own English commerce lists: short, and they are what makes
	// a product name look like "Rustic Steel Chair".
	productAdjectives = []string{"Small", "Ergonomic", "Rustic", "Intelligent", "Gorgeous", "Incredible", "Fantastic", "Practical", "Sleek", "Awesome", "Generic", "Handcrafted", "Handmade", "Licensed", "Refined", "Unbranded", "Tasty"}
	productMaterials  = []string{"Steel", "Wooden", "Concrete", "Plastic", "Cotton", "Granite", "Rubber", "Metal", "Soft", "Fresh", "Frozen"}
	products          = []string{"Chair", "Car", "Computer", "Keyboard", "Mouse", "Bike", "Ball", "Gloves", "Pants", "Shirt", "Table", "Shoes", "Hat", "Towels", "Soap", "Tuna", "Chicken", "Fish", "Cheese", "Bacon", "Pizza", "Salad", "Sausages", "Chips"}
	departments       = []string{"Books", "Movies", "Music", "Games", "Electronics", "Computers", "Home", "Garden", "Tools", "Grocery", "Health", "Beauty", "Toys", "Kids", "Baby", "Clothing", "Shoes", "Jewelery", "Sports", "Outdoors", "Automotive", "Industrial"}
	commerceColors    = []string{"red", "green", "blue", "yellow", "purple", "mint green", "teal", "white", "black", "orange", "pink", "grey", "maroon", "violet", "turquoise", "tan", "sky blue", "salmon", "plum", "orchid", "olive", "magenta", "lime", "ivory", "indigo", "gold", "fuchsia", "cyan", "azure", "lavender", "silver"}

	companySuffixes = data.Company["suffix"]
	// gofakeit keeps faker's catch-phrase adjective, descriptor and noun
	// lists one after the other, and so the bs verbs, adjectives and nouns.
	catchAdjectives, catchDescriptors, catchNouns = split3(data.Company["buzzwords"], "24 hour", "ability")
	bsVerbs, bsAdjectives, bsNouns                = split3(data.Company["bs"], "24-365", "ROI")

	hackerAbbreviations = data.Hacker["abbreviation"]
	hackerAdjectives    = data.Hacker["adjective"]
	hackerNouns         = data.Hacker["noun"]
	hackerVerbs         = data.Hacker["verb"]
	hackerIngverbs      = data.Hacker["ingverb"]
	hackerPhrases       = []string{
		"If we {{verb}} the {{noun}}, we can get to the {{abbreviation}} {{noun}} through the {{adjective}} {{abbreviation}} {{noun}}!",
		"We need to {{verb}} the {{adjective}} {{abbreviation}} {{noun}}!",
		"Try to {{verb}} the {{abbreviation}} {{noun}}, maybe it will {{verb}} the {{adjective}} {{noun}}!",
		"You can't {{verb}} the {{noun}} without {{ingverb}} the {{adjective}} {{abbreviation}} {{noun}}!",
		"Use the {{adjective}} {{abbreviation}} {{noun}}, then you can {{verb}} the {{adjective}} {{noun}}!",
		"The {{abbreviation}} {{noun}} is down, {{verb}} the {{adjective}} {{noun}} so we can {{verb}} the {{abbreviation}} {{noun}}!",
		"{{ingverb}} the {{noun}} won't do anything, we need to {{verb}} the {{adjective}} {{abbreviation}} {{noun}}!",
		"I'll {{verb}} the {{adjective}} {{abbreviation}} {{noun}}, that should {{noun}} the {{abbreviation}} {{noun}}!",
	}

	loremWords = data.Lorem["word"]

	accountTypes     = []string{"Checking", "Savings", "Money Market", "Investment", "Home Loan", "Credit Card", "Auto Loan", "Personal Loan"}
	transactionTypes = []string{"deposit", "withdrawal", "payment", "invoice"}
	currencyCodes    = data.Currency["short"]
	currencyNames    = data.Currency["long"]
	currencySymbols  = map[string]string{
		"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "RUB": "₽", "KRW": "₩",
		"AUD": "$", "CAD": "$", "NZD": "$", "HKD": "$", "SGD": "$", "MXN": "$", "BRL": "R$", "CHF": "CHF",
		"SEK": "kr", "NOK": "kr", "DKK": "kr", "PLN": "zł", "TRY": "₺", "ILS": "₪", "NGN": "₦", "PHP": "₱",
		"THB": "฿", "VND": "₫", "UAH": "₴", "ZAR": "R", "CZK": "Kč", "HUF": "Ft", "IDR": "Rp", "MYR": "RM",
	}

	freeEmails     = []string{"gmail.com", "yahoo.com", "hotmail.com"}
	exampleEmails  = []string{"example.org", "example.com", "example.net"}
	domainSuffixes = data.Internet["domain_suffix"]

	phoneFormats = []string{
		"###-###-####", "(###) ###-####", "1-###-###-####", "###.###.####",
		"###-###-####", "(###) ###-####", "1-###-###-####", "###.###.####",
		"###-###-#### x###", "(###) ###-#### x###", "1-###-###-#### x###", "###.###.#### x###",
		"###-###-#### x####", "(###) ###-#### x####", "1-###-###-#### x####", "###.###.#### x####",
		"###-###-#### x#####", "(###) ###-#### x#####", "1-###-###-#### x#####", "###.###.#### x#####",
	}

	imageCategories = []string{"abstract", "animals", "business", "cats", "city", "food", "nightlife", "fashion", "people", "nature", "sports", "technics", "transport"}

	// locales is Object.keys(faker.locales) in the KDG's bundle.
	locales = []string{"de", "de_AT", "de_CH", "en", "en_AU", "en_BORK", "en_CA", "en_GB", "en_IE", "en_IND",
		"en_US", "en_au_ocker", "es", "es_MX", "fa", "fr", "fr_CA", "ge", "id_ID", "it", "ja", "ko", "nb_NO",
		"nep", "nl", "pl", "pt_BR", "ru", "sk", "sv", "tr", "uk", "vi", "zh_CN", "zh_TW"}

	alphaNumerics = strings.Split("0123456789abcdefghijklmnopqrstuvwxyz", "")

	mimeTypes = data.Files["mime_type"]
	fileTypes = topLevelTypes(mimeTypes)
	fileExts  = data.Files["extension"]
	// commonMimes is faker's system.commonFileExt list, with each type's
	// extensions from mime-db (which faker's system module reads).
	commonMimes = []string{"application/pdf", "audio/mpeg", "audio/wav", "image/png", "image/jpeg", "image/gif", "video/mp4", "video/mpeg", "text/html"}
	mimeExts    = map[string][]string{
		"application/pdf": {"pdf"},
		"audio/mpeg":      {"mpga", "mp2", "mp2a", "mp3", "m2a", "m3a"},
		"audio/wav":       {"wav"},
		"image/png":       {"png"},
		"image/jpeg":      {"jpeg", "jpg", "jpe"},
		"image/gif":       {"gif"},
		"video/mp4":       {"mp4", "mp4v", "mpg4"},
		"video/mpeg":      {"mpeg", "mpg", "mpe", "m1v", "m2v"},
		"text/html":       {"html", "htm", "shtml"},
	}
	commonFileTypes = []string{"video", "audio", "image", "text", "application"}
	directoryPaths  = []string{"/Applications", "/bin", "/boot", "/boot/defaults", "/dev", "/etc", "/etc/defaults",
		"/etc/mail", "/etc/namedb", "/etc/periodic", "/etc/ppp", "/home", "/home/user", "/home/user/dir", "/lib",
		"/Library", "/lost+found", "/media", "/mnt", "/net", "/Network", "/opt", "/opt/bin", "/opt/include",
		"/opt/lib", "/opt/sbin", "/opt/share", "/private", "/private/tmp", "/private/var", "/proc", "/rescue",
		"/root", "/sbin", "/selinux", "/srv", "/sys", "/System", "/tmp", "/Users", "/usr", "/usr/X11R6",
		"/usr/bin", "/usr/include", "/usr/lib", "/usr/libdata", "/usr/libexec", "/usr/local/bin",
		"/usr/local/src", "/usr/obj", "/usr/ports", "/usr/sbin", "/usr/share", "/usr/src", "/var", "/var/log",
		"/var/mail", "/var/spool", "/var/tmp", "/var/yp"}
)

// split3 cuts list before the first occurrence of b and of c.
func split3(list []string, b, c string) (x, y, z []string) {
	i, j := indexOf(list, b), indexOf(list, c)
	if i <= 0 || j <= i {
		return list, list, list // gofakeit changed its lists: still valid words
	}
	return list[:i], list[i:j], list[j:]
}

func indexOf(list []string, s string) int {
	for i, e := range list {
		if e == s {
			return i
		}
	}
	return -1
}

func topLevelTypes(mimes []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range mimes {
		t, _, _ := strings.Cut(m, "/")
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
