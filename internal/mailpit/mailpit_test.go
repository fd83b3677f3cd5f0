package mailpit

import (
	"net/smtp"
	"strings"
	"testing"
	"time"
)

func TestMailpitReceivesAndReturnsAMessage(t *testing.T) {
	s := Start(t)
	msg := "From: Sender <sender@example.com>\r\n" +
		"To: Ops <ops@example.com>\r\n" +
		"Subject: =?UTF-8?q?Caf=C3=A9?=\r\n" +
		"Message-ID: <abc@example.com>\r\n" +
		"Date: Mon, 02 Jan 2006 15:04:05 +0000\r\n" +
		"\r\n" +
		"hello\r\n"
	if err := smtp.SendMail(s.SMTPAddr(), nil, "sender@example.com", []string{"ops@example.com"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	msgs := s.WaitFor(t, 1, time.Minute)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Subject != "Café" || strings.TrimSpace(m.Text) != "hello" || m.MessageID != "abc@example.com" {
		t.Errorf("got %+v", m)
	}
	if m.From != (Address{Name: "Sender", Address: "sender@example.com"}) {
		t.Errorf("From %+v", m.From)
	}
	if len(m.To) != 1 || m.To[0] != (Address{Name: "Ops", Address: "ops@example.com"}) {
		t.Errorf("To %+v", m.To)
	}
	if got := m.Headers["Subject"]; len(got) != 1 || got[0] != "=?UTF-8?q?Caf=C3=A9?=" {
		t.Errorf("Subject header %q, want it as sent; headers %v", got, m.Headers)
	}
	if got := m.Headers["Message-Id"]; len(got) != 1 || got[0] != "<abc@example.com>" {
		t.Errorf("Message-Id header %q; headers %v", got, m.Headers)
	}
	s.DeleteAll(t)
	if msgs := s.Messages(t); len(msgs) != 0 {
		t.Errorf("%d messages after DeleteAll", len(msgs))
	}
}

func TestMailpitKeepsArrivalOrder(t *testing.T) {
	s := Start(t)
	for _, subject := range []string{"one", "two", "three"} {
		msg := "From: a@example.com\r\nTo: b@example.com\r\nSubject: " + subject + "\r\n\r\nx\r\n"
		if err := smtp.SendMail(s.SMTPAddr(), nil, "a@example.com", []string{"b@example.com"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	msgs := s.WaitFor(t, 3, time.Minute)
	var got []string
	for _, m := range msgs {
		got = append(got, m.Subject)
	}
	if strings.Join(got, ",") != "one,two,three" {
		t.Errorf("subjects %v, want one,two,three", got)
	}
}
