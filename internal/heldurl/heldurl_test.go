package heldurl

import (
	"io"
	"net/http"
	"testing"
)

func TestRequestsFromTheHeldOneWaitForRelease(t *testing.T) {
	s := New(t, "data", 2)
	get := func() string {
		resp, err := http.Get(s.URL)
		if err != nil {
			t.Error(err)
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := get(); got != "data" {
		t.Fatalf("the first request got %q", got)
	}
	answered := make(chan string)
	go func() { answered <- get() }()
	<-s.Requested()
	select {
	case got := <-answered:
		t.Fatalf("the held request was answered before the release: %q", got)
	default:
	}
	s.Release()
	if got := <-answered; got != "data" {
		t.Fatalf("after the release: %q", got)
	}
}
