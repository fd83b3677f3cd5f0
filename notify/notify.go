// Package notify is the lab's notification function built in: Kinesis Data
// Analytics sent each output row to a Lambda function (CSEBeconAnomalyResponse)
// that published "Anomaly detected with a click through rate of ...% and an
// anomaly score of ..." to an SNS topic, whose subscribers got it by email and
// SMS. A Notifier is that topic with its subscriptions; it is a
// destination.Function, so an application's output can go to it in-process,
// or over HTTP through its Handler (riffle notify serve).
//
// The configuration (YAML, see Load; docs/notify.md has the full reference):
//
//	topic: ClickStreamEvent2   # default "riffle"
//	display_name: ClkStrEv2    # email From name; SMS prefix "CLKSTREV2> " (only when set)
//	subject: Anomaly Detected  # a template too; default "Anomaly Detected"
//	template: "..."            # text/template over the row's columns; default the lab's message
//	csv_columns: [CTRPERCENT, ANOMALY_SCORE]  # names of CSV fields by position
//	cooldown: 1m               # at most one notification a minute; default 0, every one is sent
//	subscriptions:
//	  - email: ops@example.com
//	  - sms: "+15555550100"
//	  - log: true
//	smtp: {host: localhost, port: 1025, starttls: auto, username: "", password: "", from: riffle@localhost}
//	sms:  {url: "https://api.twilio.com/2010-04-01/Accounts/AC.../Messages.json", from: "+15005550006", username: AC..., password: TOKEN}
//
// A row is a JSON object (numbers keep the text they were written with) or
// one CSV line whose fields are named by csv_columns. Each notification goes
// to every subscription; a record is Ok once every subscription has had it.
// The Notifier remembers, for the last MemorySize record ids, which
// subscriptions already succeeded, so a retried record is sent only to those
// that failed, and a repeated record that was delivered is not sent again.
// With a cooldown, a notification that comes within the cooldown of the last
// one sent is held back (answered Ok and counted), and the count is reported
// at the end of the next notification sent.
package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"os"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/riffle-sql/riffle/destination"
)

// MemorySize is how many record ids a Notifier remembers the delivery of.
const MemorySize = 10000

// SMSMaxChars caps the text of an SMS, as SNS and Twilio do.
const SMSMaxChars = 1600

// sendTimeout bounds one email or SMS, so a server that hangs fails the
// subscription (to be retried) instead of holding the whole batch.
const sendTimeout = 30 * time.Second

// Options are the Notifier's surroundings.
type Options struct {
	Log io.Writer        // where log subscriptions write; default os.Stdout
	Now func() time.Time // the clock of the cooldown and the Date header; default time.Now
	// Stamp begins a log subscription's line for a record, by its ID
	// (the demo: the anomaly's application time); "" or nil: the time of
	// sending, RFC 3339.
	Stamp      func(recordID string) string
	HTTPClient *http.Client // for SMS; default a client with a 30s timeout
	Logger     *slog.Logger // failures and dropped records; default slog.Default()
	TLSConfig  *tls.Config  // for STARTTLS, e.g. a private CA's roots; default the system's, ServerName smtp.host
}

var _ destination.Function = (*Notifier)(nil)

// Notifier is a topic with its subscriptions. It is safe for concurrent use.
type Notifier struct {
	cfg     Config
	subject *template.Template
	body    *template.Template
	from    *mail.Address
	to      []*mail.Address // per subscription; nil unless email
	opts    Options

	logMu sync.Mutex // serialises writes to opts.Log

	mu       sync.Mutex // guards what follows
	memory   memory
	lastSent time.Time // when the last notification went out (zero: none yet)
	held     int       // notifications held back since then
	stats    Stats
}

// Stats counts what the Notifier did since it was made.
type Stats struct {
	Email, SMS, Log Counts
	Folded          int64 // notifications held back by the cooldown
	Unparsable      int64 // records dropped: data not a row, or the template failed on it
	Repeats         int64 // records already delivered, answered Ok without sending
}

// Counts are the sends to the subscriptions of one kind.
type Counts struct {
	Sent, Failed int64
}

func (s *Stats) kind(k string) *Counts {
	switch k {
	case KindEmail:
		return &s.Email
	case KindSMS:
		return &s.SMS
	}
	return &s.Log
}

// New checks the configuration and makes its Notifier. When there is an
// email subscription, it connects to the SMTP server once (EHLO, STARTTLS,
// AUTH, QUIT), so a wrong server is refused now rather than at the first
// anomaly.
func New(ctx context.Context, cfg Config, opts Options) (*Notifier, error) {
	cfg = cfg.withDefaults()
	if err := errors.Join(cfg.problems()...); err != nil {
		return nil, err
	}
	// The caller keeps its slices; changing them must not change this.
	cfg.Subscriptions = slices.Clone(cfg.Subscriptions)
	cfg.CSVColumns = slices.Clone(cfg.CSVColumns)
	if opts.Log == nil {
		opts.Log = os.Stdout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: sendTimeout}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	n := &Notifier{
		cfg:     cfg,
		subject: template.Must(template.New("subject").Parse(cfg.Subject)),
		body:    template.Must(template.New("template").Parse(cfg.Template)),
		to:      make([]*mail.Address, len(cfg.Subscriptions)),
		opts:    opts,
		memory:  newMemory(MemorySize),
	}
	from, _ := mail.ParseAddress(cfg.SMTP.From) // checked by problems
	if cfg.DisplayName != "" {
		from.Name = cfg.DisplayName
	}
	n.from = from
	emails := false
	for i, s := range cfg.Subscriptions {
		if s.Kind() == KindEmail {
			n.to[i], _ = mail.ParseAddress(s.Email)
			emails = true
		}
	}
	if emails {
		ctx, cancel := context.WithTimeout(ctx, sendTimeout)
		defer cancel()
		c, err := n.dialSMTP(ctx)
		if err != nil {
			return nil, err
		}
		defer c.close()
		if err := c.Quit(); err != nil {
			return nil, n.smtpError(fmt.Errorf("QUIT: %w", err))
		}
	}
	return n, nil
}

// Config is the configuration the Notifier runs with, defaults filled in.
func (n *Notifier) Config() Config {
	c := n.cfg
	c.Subscriptions = slices.Clone(c.Subscriptions)
	c.CSVColumns = slices.Clone(c.CSVColumns)
	return c
}

// Stats returns the counters.
func (n *Notifier) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stats
}

// Invoke notifies each record's row to every subscription. A record is Ok
// when every subscription has had it (now or on an earlier attempt), and
// DeliveryFailed, to be retried, otherwise. Records that are not a row, or
// that the templates fail on, are logged and answered Ok: retrying would
// never help.
func (n *Notifier) Invoke(ctx context.Context, e destination.Event) (destination.Response, error) {
	if err := ctx.Err(); err != nil {
		return destination.Response{}, err
	}
	resp := destination.Response{Records: make([]destination.Result, 0, len(e.Records))}
	for _, r := range e.Records {
		result := destination.DeliveryFailed
		// Once the caller has given up, the rest are left for its retry
		// without being sent or counted against the cooldown.
		if ctx.Err() == nil && n.notify(ctx, r) {
			result = destination.Ok
		}
		resp.Records = append(resp.Records, destination.Result{RecordID: r.RecordID, Result: result})
	}
	return resp, nil
}

// message is one notification, rendered.
type message struct {
	subject, body string
	id            string // the record's
}

// notify delivers one record and says whether it is done with.
func (n *Notifier) notify(ctx context.Context, r destination.EventRecord) bool {
	msg, err := n.render(r.Data)
	msg.id = r.RecordID
	if err != nil {
		n.opts.Logger.Warn("notify: record dropped", "topic", n.cfg.Topic, "recordId", r.RecordID, "err", err)
		n.mu.Lock()
		n.stats.Unparsable++
		n.mu.Unlock()
		return true
	}

	n.mu.Lock()
	d, seen := n.memory.get(r.RecordID)
	switch {
	case seen && d.complete():
		n.stats.Repeats++
		n.mu.Unlock()
		return true
	case !seen:
		now := n.opts.Now()
		if n.cfg.Cooldown > 0 && !n.lastSent.IsZero() && now.Sub(n.lastSent) < n.cfg.Cooldown {
			n.held++
			n.stats.Folded++
			n.memory.put(r.RecordID, &delivery{folded: true})
			n.mu.Unlock()
			return true
		}
		d = &delivery{done: make([]bool, len(n.cfg.Subscriptions)), held: n.held}
		n.held = 0
		n.lastSent = now
		n.memory.put(r.RecordID, d)
	}
	// A retry carries the count it was first sent with, so every
	// subscription gets the same text.
	held := d.held
	var pending []int
	for i, done := range d.done {
		if !done {
			pending = append(pending, i)
		}
	}
	n.mu.Unlock()

	if held > 0 {
		noun := "notifications were"
		if held == 1 {
			noun = "notification was"
		}
		msg.body += fmt.Sprintf("\n\n(%d more %s held back by the %v cooldown)", held, noun, n.cfg.Cooldown)
	}
	ok := true
	for _, i := range pending {
		sub := n.cfg.Subscriptions[i]
		err := n.send(ctx, i, msg)
		n.mu.Lock()
		if err == nil {
			d.done[i] = true
			n.stats.kind(sub.Kind()).Sent++
		} else {
			n.stats.kind(sub.Kind()).Failed++
		}
		n.mu.Unlock()
		if err != nil {
			ok = false
			n.opts.Logger.Warn("notify: delivery failed", "topic", n.cfg.Topic, "recordId", r.RecordID, "to", sub.String(), "err", err)
		}
	}
	return ok
}

// render parses a row and fills in the subject and body.
func (n *Notifier) render(data []byte) (message, error) {
	row, err := n.parse(data)
	if err != nil {
		return message{}, err
	}
	var subject, body strings.Builder
	if err := n.subject.Execute(&subject, row); err != nil {
		return message{}, err
	}
	if err := n.body.Execute(&body, row); err != nil {
		return message{}, err
	}
	// SNS refuses line breaks and control characters in a subject.
	s := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, subject.String())
	return message{subject: strings.TrimSpace(s), body: body.String()}, nil
}

// parse reads a row: a JSON object, or one CSV line named by csv_columns.
func (n *Notifier) parse(data []byte) (map[string]any, error) {
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		return nil, errors.New("empty record")
	}
	if text[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber()
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			return nil, fmt.Errorf("JSON row: %w", err)
		}
		if dec.More() {
			return nil, errors.New("JSON row: data after the object")
		}
		// Unquoted SQL names are upper case; let the default template
		// find lower- or mixed-case keys as well.
		for k, v := range row {
			if up := strings.ToUpper(k); up != k {
				if _, taken := row[up]; !taken {
					row[up] = v
				}
			}
		}
		return row, nil
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	fields, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("CSV row: %w", err)
	}
	if _, err := cr.Read(); err != io.EOF {
		return nil, errors.New("CSV row: more than one line")
	}
	row := make(map[string]any, len(n.cfg.CSVColumns))
	for i, name := range n.cfg.CSVColumns {
		if i < len(fields) {
			row[name] = fields[i]
		}
	}
	return row, nil
}

// send delivers a message to one subscription.
func (n *Notifier) send(ctx context.Context, i int, msg message) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	sub := n.cfg.Subscriptions[i]
	switch sub.Kind() {
	case KindEmail:
		return n.sendEmail(ctx, n.to[i], msg)
	case KindSMS:
		return n.sendSMS(ctx, sub.SMS, msg)
	default:
		return n.writeLog(msg)
	}
}

// writeLog writes a notification as one line.
func (n *Notifier) writeLog(msg message) error {
	var lines []string
	for _, l := range strings.Split(msg.body, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	stamp := ""
	if n.opts.Stamp != nil {
		stamp = n.opts.Stamp(msg.id)
	}
	if stamp == "" {
		stamp = n.opts.Now().UTC().Format(time.RFC3339)
	}
	line := fmt.Sprintf("%s [%s] %s: %s\n", stamp, n.cfg.Topic, msg.subject, strings.Join(lines, " "))
	n.logMu.Lock() // lines of concurrent invocations must not interleave
	defer n.logMu.Unlock()
	_, err := io.WriteString(n.opts.Log, line)
	return err
}

// delivery is what the Notifier remembers of a record.
type delivery struct {
	done   []bool // per subscription: it has the notification
	held   int    // the cooldown count the notification carries
	folded bool   // held back by the cooldown: nothing to send
}

func (d *delivery) complete() bool {
	for _, ok := range d.done {
		if !ok {
			return false
		}
	}
	return true
}

// memory maps the last size record ids to their delivery, forgetting the
// oldest first.
type memory struct {
	byID  map[string]*delivery
	order []string // ring of the ids, oldest at next
	next  int
}

func newMemory(size int) memory {
	return memory{byID: make(map[string]*delivery), order: make([]string, size)}
}

func (m *memory) get(id string) (*delivery, bool) {
	d, ok := m.byID[id]
	return d, ok
}

func (m *memory) put(id string, d *delivery) {
	if id == "" { // no id, nothing to recognise a retry by
		return
	}
	if _, ok := m.byID[id]; !ok {
		if old := m.order[m.next]; old != "" {
			delete(m.byID, old)
		}
		m.order[m.next] = id
		m.next = (m.next + 1) % len(m.order)
	}
	m.byID[id] = d
}
