package hostguard

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOnlyTheServersNamesAreAnswered: a request naming another host (a
// page rebound to 127.0.0.1 sends its own name) is refused with an error
// that says how to allow a name; addresses, localhost and the allowed
// names pass, whatever their port or case.
func TestOnlyTheServersNamesAreAnswered(t *testing.T) {
	h := Guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }), []string{"riffle.example.com"})
	for host, want := range map[string]int{
		"127.0.0.1:4573":          http.StatusOK,
		"[::1]:4573":              http.StatusOK,
		"10.1.2.3":                http.StatusOK,
		"localhost:4573":          http.StatusOK,
		"app.localhost:4573":      http.StatusOK,
		"RIFFLE.example.com.:443": http.StatusOK,
		"attacker.example:4573":   http.StatusForbidden,
		"localhost.attacker.com":  http.StatusForbidden,
		"127.0.0.1.nip.io:4573":   http.StatusForbidden,
		"":                        http.StatusForbidden,
	} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %q: %d, want %d", host, rec.Code, want)
			continue
		}
		if want == http.StatusForbidden {
			var e struct {
				Type    string `json:"__type"`
				Message string
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Type != "AccessDeniedException" || !strings.Contains(e.Message, "--allowed-host") {
				t.Errorf("Host %q: refusal %s (%v)", host, rec.Body, err)
			}
		}
	}
}
