package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
)

// smtpConn is a client with the connection under it, closed when the
// context ends so a stuck server cannot hold a send past its deadline.
type smtpConn struct {
	*smtp.Client
	stop func() bool
}

func (c *smtpConn) close() {
	c.stop()
	c.Client.Close()
}

func (n *Notifier) smtpAddr() string {
	return net.JoinHostPort(n.cfg.SMTP.Host, strconv.Itoa(n.cfg.SMTP.Port))
}

func (n *Notifier) smtpError(err error) error {
	return fmt.Errorf("smtp %s: %w", n.smtpAddr(), err)
}

// dialSMTP connects, greets, and does STARTTLS and AUTH as configured.
func (n *Notifier) dialSMTP(ctx context.Context) (*smtpConn, error) {
	cfg := n.cfg.SMTP
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", n.smtpAddr())
	if err != nil {
		return nil, n.smtpError(err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		stop()
		conn.Close()
		return nil, n.smtpError(err)
	}
	sc := &smtpConn{Client: c, stop: stop}
	fail := func(err error) (*smtpConn, error) {
		sc.close()
		return nil, n.smtpError(err)
	}
	if err := c.Hello("localhost"); err != nil {
		return fail(err)
	}
	offered, _ := c.Extension("STARTTLS")
	switch {
	case cfg.StartTLS == StartTLSAlways && !offered:
		return fail(fmt.Errorf("the server does not offer STARTTLS and smtp.starttls is %q", StartTLSAlways))
	case cfg.StartTLS != StartTLSNever && offered:
		tc := &tls.Config{}
		if n.opts.TLSConfig != nil {
			tc = n.opts.TLSConfig.Clone()
		}
		if tc.ServerName == "" {
			tc.ServerName = cfg.Host
		}
		if err := c.StartTLS(tc); err != nil {
			return fail(fmt.Errorf("STARTTLS: %w", err))
		}
	}
	if cfg.Username != "" {
		// PlainAuth sends the password only over TLS or to localhost.
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)); err != nil {
			return fail(fmt.Errorf("AUTH: %w", err))
		}
	}
	return sc, nil
}

// sendEmail sends one message to one address, in its own SMTP session.
func (n *Notifier) sendEmail(ctx context.Context, to *mail.Address, msg message) error {
	body, err := n.emailMessage(to, msg)
	if err != nil {
		return err
	}
	c, err := n.dialSMTP(ctx)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.Mail(n.from.Address); err != nil {
		return n.smtpError(fmt.Errorf("MAIL FROM: %w", err))
	}
	if err := c.Rcpt(to.Address); err != nil {
		return n.smtpError(fmt.Errorf("RCPT TO %s: %w", to.Address, err))
	}
	w, err := c.Data()
	if err != nil {
		return n.smtpError(fmt.Errorf("DATA: %w", err))
	}
	if _, err := w.Write(body); err != nil {
		return n.smtpError(fmt.Errorf("DATA: %w", err))
	}
	if err := w.Close(); err != nil {
		return n.smtpError(fmt.Errorf("DATA: %w", err))
	}
	// The message is accepted once DATA ends; a failed QUIT loses nothing.
	c.Quit()
	return nil
}

// emailMessage writes the message: plain text, UTF-8, quoted-printable so
// no line is too long and any character goes through.
func (n *Notifier) emailMessage(to *mail.Address, msg message) ([]byte, error) {
	id := make([]byte, 16)
	rand.Read(id)
	domain := n.from.Address[strings.LastIndexByte(n.from.Address, '@')+1:]
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", n.from)
	fmt.Fprintf(&b, "To: %s\r\n", to)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("UTF-8", msg.subject))
	fmt.Fprintf(&b, "Date: %s\r\n", n.opts.Now().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id), domain)
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=UTF-8\r\n")
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(msg.body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

// smsText is the text of an SMS as SNS makes it: the display name upper
// cased as a prefix (when there is one), the subject left out, at most
// SMSMaxChars characters.
func (n *Notifier) smsText(msg message) string {
	text := msg.body
	if n.cfg.DisplayName != "" {
		text = strings.ToUpper(n.cfg.DisplayName) + "> " + text
	}
	if r := []rune(text); len(r) > SMSMaxChars {
		text = string(r[:SMSMaxChars])
	}
	return text
}

// sendSMS posts one message the way Twilio's Messages API takes it.
func (n *Notifier) sendSMS(ctx context.Context, to string, msg message) error {
	cfg := n.cfg.SMS
	form := url.Values{"To": {to}, "Body": {n.smsText(msg)}}
	if cfg.From != "" {
		form.Set("From", cfg.From)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cfg.Username != "" || cfg.Password != "" {
		req.SetBasicAuth(cfg.Username, cfg.Password)
	}
	resp, err := n.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("sms: POST %s: %s: %s", req.URL.Redacted(), resp.Status, bytes.TrimSpace(answer))
	}
	return nil
}
