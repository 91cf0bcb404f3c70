package jwks

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzIfNoneMatch feeds arbitrary If-None-Match values (outside input) to
// the handler: it never panics, answers only 200 or 304, and a value made of
// the fuzzed text followed by a well-formed member that is the ETag always
// matches.
func FuzzIfNoneMatch(f *testing.F) {
	for _, s := range []string{
		"", "*", `"x"`, `W/"x"`, `"a", "b"`, `W/`, `"`, `"unterminated`, ",,,", " \t",
		`"x,y", W/"z"`, "\x00\xff", `W/W/"x"`, strings.Repeat(`"a",`, 100),
	} {
		f.Add(s)
	}
	keys := testKeys(f, 1)
	h, err := NewHandler(Static(keys...), nil)
	if err != nil {
		f.Fatal(err)
	}
	etag := h.cur.Load().etag
	f.Fuzz(func(t *testing.T, inm string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["If-None-Match"] = []string{inm}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 && w.Code != 304 {
			t.Fatalf("status %d for If-None-Match %q", w.Code, inm)
		}
		if !etagMatch([]string{inm, etag}, etag) || !etagMatch([]string{inm, "W/" + etag}, etag) {
			t.Fatalf("a second field line with the ETag did not match after %q", inm)
		}
		if strings.Count(inm, `"`)%2 == 0 && !strings.Contains(inm, "*") && !etagMatch([]string{`"a", ` + etag + ", " + inm}, etag) {
			t.Fatalf("list with the ETag did not match before %q", inm)
		}
	})
}
