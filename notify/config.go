package notify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults of the configuration, those of the lab's function.
const (
	DefaultTopic    = "riffle"
	DefaultSubject  = "Anomaly Detected"
	DefaultTemplate = "Anomaly detected with a click through rate of {{.CTRPERCENT}}% and an anomaly score of {{.ANOMALY_SCORE}}"
	DefaultFrom     = "riffle@localhost"
	DefaultSMTPPort = 25
)

// DefaultCSVColumns names the fields of a CSV row by position, as the lab's
// function splits its rows on commas: field 0 the rate, field 1 the score.
// (A function, so no caller can change the default of others.)
func DefaultCSVColumns() []string { return []string{"CTRPERCENT", "ANOMALY_SCORE"} }

// The STARTTLS policies of SMTPConfig.StartTLS.
const (
	StartTLSAuto   = "auto"
	StartTLSAlways = "always"
	StartTLSNever  = "never"
)

// Config is a topic and its subscriptions, loaded from YAML by Load. The
// YAML keys are given in the field tags; see the package documentation.
type Config struct {
	Topic         string         `yaml:"topic"`
	DisplayName   string         `yaml:"display_name"`
	Subject       string         `yaml:"subject"`
	Template      string         `yaml:"template"`
	CSVColumns    []string       `yaml:"csv_columns"`
	Cooldown      time.Duration  `yaml:"cooldown"`
	Subscriptions []Subscription `yaml:"subscriptions"`
	SMTP          SMTPConfig     `yaml:"smtp"`
	SMS           SMSConfig      `yaml:"sms"`
}

// Subscription is one endpoint of the topic: exactly one of its fields is set.
type Subscription struct {
	Email string `yaml:"email"` // an address, "ops@example.com" or "Ops <ops@example.com>"
	SMS   string `yaml:"sms"`   // an E.164 number, "+15555550100"
	Log   bool   `yaml:"log"`   // one line per notification on Options.Log
}

// Kind is "email", "sms" or "log" ("" when the subscription sets none or
// several of its fields).
func (s Subscription) Kind() string {
	set := 0
	kind := ""
	if s.Email != "" {
		set, kind = set+1, KindEmail
	}
	if s.SMS != "" {
		set, kind = set+1, KindSMS
	}
	if s.Log {
		set, kind = set+1, KindLog
	}
	if set != 1 {
		return ""
	}
	return kind
}

func (s Subscription) String() string {
	switch s.Kind() {
	case KindEmail:
		return "email " + s.Email
	case KindSMS:
		return "sms " + s.SMS
	case KindLog:
		return "log"
	}
	return "subscription"
}

// The kinds of subscription.
const (
	KindEmail = "email"
	KindSMS   = "sms"
	KindLog   = "log"
)

// SMTPConfig is the mail server email subscriptions go through.
type SMTPConfig struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`     // default 25
	StartTLS string `yaml:"starttls"` // auto (when offered), always, never; default auto
	Username string `yaml:"username"` // AUTH PLAIN when set
	Password string `yaml:"password"`
	From     string `yaml:"from"` // envelope and From address; default riffle@localhost
}

// SMSConfig is the HTTP endpoint SMS subscriptions are posted to, in the
// shape of Twilio's Messages API.
type SMSConfig struct {
	URL      string `yaml:"url"`
	From     string `yaml:"from"`     // sent as From when set
	Username string `yaml:"username"` // HTTP Basic auth when set (Twilio: account SID)
	Password string `yaml:"password"` // (Twilio: auth token)
}

// Load reads a configuration file, fills in the defaults and validates it.
// Unknown keys are errors naming the key and its line; every problem found
// is reported, one a line.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%s: %w", path, yamlError(err))
	}
	cfg = cfg.withDefaults()
	if problems := cfg.problems(); len(problems) > 0 {
		for i, p := range problems {
			problems[i] = fmt.Errorf("%s: %w", path, p)
		}
		return Config{}, errors.Join(problems...)
	}
	return cfg, nil
}

var unknownField = regexp.MustCompile(`^line (\d+): field (.+) not found in type notify\.(\w+)$`)

// yamlError rewrites the decoder's "field x not found in type
// notify.SMTPConfig" into terms of the file: the key and its section.
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	sections := map[string]string{"Config": "", "SMTPConfig": " in smtp", "SMSConfig": " in sms", "Subscription": " in subscriptions"}
	lines := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		lines[i] = e
		if m := unknownField.FindStringSubmatch(e); m != nil {
			lines[i] = fmt.Sprintf("line %s: unknown key %q%s", m[1], m[2], sections[m[3]])
		}
	}
	return errors.New(strings.Join(lines, "; "))
}

// withDefaults fills in what the configuration leaves out.
func (c Config) withDefaults() Config {
	if c.Topic == "" {
		c.Topic = DefaultTopic
	}
	if c.Subject == "" {
		c.Subject = DefaultSubject
	}
	if c.Template == "" {
		c.Template = DefaultTemplate
	}
	if len(c.CSVColumns) == 0 {
		c.CSVColumns = DefaultCSVColumns()
	}
	if c.SMTP.Port == 0 {
		c.SMTP.Port = DefaultSMTPPort
	}
	if c.SMTP.StartTLS == "" {
		c.SMTP.StartTLS = StartTLSAuto
	}
	if c.SMTP.From == "" {
		c.SMTP.From = DefaultFrom
	}
	return c
}

// Validate reports every problem of a configuration (after its defaults are
// filled in), one a line, or nil.
func (c Config) Validate() error {
	return errors.Join(c.withDefaults().problems()...)
}

var e164 = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)

func (c Config) problems() []error {
	var ps []error
	add := func(format string, args ...any) { ps = append(ps, fmt.Errorf(format, args...)) }
	if len(c.Subscriptions) == 0 {
		add("no subscriptions: give at least one email, sms or log subscription")
	}
	var emails, sms bool
	for i, s := range c.Subscriptions {
		switch s.Kind() {
		case KindEmail:
			emails = true
			if _, err := mail.ParseAddress(s.Email); err != nil {
				add("subscriptions[%d].email %q is not an email address: %w", i, s.Email, err)
			}
		case KindSMS:
			sms = true
			if !e164.MatchString(s.SMS) {
				add("subscriptions[%d].sms %q is not an E.164 phone number (+ then up to 15 digits, e.g. +15555550100)", i, s.SMS)
			}
		case KindLog:
		default:
			add("subscriptions[%d]: give exactly one of email, sms or log: true", i)
		}
	}
	if _, err := template.New("subject").Parse(c.Subject); err != nil {
		add("subject does not parse: %w", err)
	}
	if _, err := template.New("template").Parse(c.Template); err != nil {
		add("template does not parse: %w", err)
	}
	for i, col := range c.CSVColumns {
		if col == "" {
			add("csv_columns[%d] is empty", i)
		}
	}
	if c.Cooldown < 0 {
		add("cooldown %v is negative", c.Cooldown)
	}
	switch c.SMTP.StartTLS {
	case StartTLSAuto, StartTLSAlways, StartTLSNever:
	default:
		add("smtp.starttls %q: want auto, always or never", c.SMTP.StartTLS)
	}
	if c.SMTP.Port < 1 || c.SMTP.Port > 65535 {
		add("smtp.port %d is not a port number", c.SMTP.Port)
	}
	if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
		add("smtp.from %q is not an email address: %w", c.SMTP.From, err)
	}
	if emails && c.SMTP.Host == "" {
		add("email subscriptions need smtp.host")
	}
	if sms && c.SMS.URL == "" {
		add("sms subscriptions need sms.url")
	}
	if c.SMS.URL != "" {
		if u, err := url.Parse(c.SMS.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("sms.url %q: want an absolute http(s) URL with a host", c.SMS.URL)
		}
	}
	return ps
}
