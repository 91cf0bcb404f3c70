package jwks

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

func newTestHandler(t *testing.T, src Source, opts *Options) *Handler {
	t.Helper()
	h, err := NewHandler(src, opts)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	t.Cleanup(h.Close)
	return h
}

// etagOf computes the ETag a body must carry.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

func TestServeHTTP(t *testing.T) {
	keys := testKeys(t, 2)
	h := newTestHandler(t, Static(keys...), nil)
	body, err := Marshal(keys)
	if err != nil {
		t.Fatal(err)
	}
	etag := etagOf(body)
	weak := "W/" + etag
	const methodBody = `{"error":"method not allowed: fetch the JWK Set with GET or HEAD"}`

	tests := []struct {
		name       string
		method     string
		inm        []string // If-None-Match field lines
		wantStatus int
		wantBody   string
		wantHeader map[string]string // "" value: header must be absent
	}{
		{name: "GET", method: "GET", wantStatus: 200, wantBody: string(body), wantHeader: map[string]string{
			"Content-Type": "application/json", "Content-Length": strconv.Itoa(len(body)),
			"Cache-Control": defaultCacheControl, "ETag": etag, "Access-Control-Allow-Origin": "*",
			"X-Content-Type-Options": "nosniff", "Allow": "",
		}},
		{name: "HEAD", method: "HEAD", wantStatus: 200, wantHeader: map[string]string{
			"Content-Type": "application/json", "Content-Length": strconv.Itoa(len(body)),
			"Cache-Control": defaultCacheControl, "ETag": etag, "Access-Control-Allow-Origin": "*",
		}},
		{name: "If-None-Match exact", method: "GET", inm: []string{etag}, wantStatus: 304, wantHeader: map[string]string{
			"ETag": etag, "Cache-Control": defaultCacheControl, "Access-Control-Allow-Origin": "*",
			"Content-Type": "", "Content-Length": "",
		}},
		{name: "If-None-Match weak", method: "GET", inm: []string{weak}, wantStatus: 304},
		{name: "If-None-Match HEAD", method: "HEAD", inm: []string{etag}, wantStatus: 304},
		{name: "If-None-Match star", method: "GET", inm: []string{"*"}, wantStatus: 304},
		{name: "If-None-Match list", method: "GET", inm: []string{`"a", W/"b",` + etag + `, "c"`}, wantStatus: 304},
		{name: "If-None-Match list no spaces", method: "GET", inm: []string{`"a",` + weak}, wantStatus: 304},
		{name: "If-None-Match second line", method: "GET", inm: []string{`"a"`, `"b", ` + etag}, wantStatus: 304},
		{name: "If-None-Match quoted comma", method: "GET", inm: []string{`"x,y", ` + etag}, wantStatus: 304},
		{name: "If-None-Match other", method: "GET", inm: []string{`"other"`}, wantStatus: 200, wantBody: string(body)},
		{name: "If-None-Match other list", method: "GET", inm: []string{`"a", W/"b"`}, wantStatus: 200, wantBody: string(body)},
		{name: "If-None-Match unquoted", method: "GET", inm: []string{strings.Trim(etag, `"`)}, wantStatus: 200, wantBody: string(body)},
		{name: "If-None-Match prefix", method: "GET", inm: []string{etag[:len(etag)-2] + `"`}, wantStatus: 200, wantBody: string(body)},
		{name: "If-None-Match unterminated", method: "GET", inm: []string{etag[:len(etag)-1]}, wantStatus: 200, wantBody: string(body)},
		{name: "If-None-Match empty", method: "GET", inm: []string{""}, wantStatus: 200, wantBody: string(body)},
		{name: "If-None-Match garbage", method: "GET", inm: []string{"W/", `W/W/"`, "\x00\xff"}, wantStatus: 200, wantBody: string(body)},
		{name: "If-None-Match lower-case w/", method: "GET", inm: []string{"w/" + etag}, wantStatus: 200, wantBody: string(body)},
		{name: "POST", method: "POST", wantStatus: 405, wantBody: methodBody, wantHeader: map[string]string{
			"Allow": "GET, HEAD", "Content-Type": "application/json", "Access-Control-Allow-Origin": "*",
			"Content-Length": strconv.Itoa(len(methodBody)), "ETag": "", "Cache-Control": "",
		}},
		{name: "PUT", method: "PUT", wantStatus: 405, wantBody: methodBody},
		{name: "DELETE", method: "DELETE", wantStatus: 405, wantBody: methodBody},
		{name: "PATCH", method: "PATCH", wantStatus: 405, wantBody: methodBody},
		{name: "OPTIONS", method: "OPTIONS", wantStatus: 405, wantBody: methodBody, wantHeader: map[string]string{"Allow": "GET, HEAD"}},
		{name: "TRACE", method: "TRACE", wantStatus: 405, wantBody: methodBody},
		{name: "lower-case get", method: "get", wantStatus: 405, wantBody: methodBody},
		{name: "POST with matching If-None-Match", method: "POST", inm: []string{etag}, wantStatus: 405, wantBody: methodBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/jwks.json", nil)
			if tt.inm != nil {
				r.Header["If-None-Match"] = tt.inm
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Body.String(); got != tt.wantBody {
				t.Fatalf("body = %q, want %q", got, tt.wantBody)
			}
			for k, want := range tt.wantHeader {
				if got := w.Header().Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// Over a real server on loopback: HEAD carries Content-Length and no body,
// 304 carries no body, the body is the set.
func TestServeHTTPOverNetwork(t *testing.T) {
	keys := testKeys(t, 1)
	h := newTestHandler(t, Static(keys...), &Options{CacheControl: "public, max-age=60"})
	srv := httptest.NewServer(h)
	defer srv.Close()
	want, _ := Marshal(keys)

	do := func(method, inm string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	resp, b := do("GET", "")
	if resp.StatusCode != 200 || !bytes.Equal(b, want) || resp.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("GET: %d %q %v", resp.StatusCode, b, resp.Header)
	}
	etag := resp.Header.Get("ETag")
	resp, b = do("HEAD", "")
	if resp.StatusCode != 200 || len(b) != 0 || resp.ContentLength != int64(len(want)) {
		t.Fatalf("HEAD: %d, %d body bytes, Content-Length %d", resp.StatusCode, len(b), resp.ContentLength)
	}
	resp, b = do("GET", etag)
	if resp.StatusCode != 304 || len(b) != 0 || resp.Header.Get("ETag") != etag {
		t.Fatalf("conditional GET: %d %q %v", resp.StatusCode, b, resp.Header)
	}
	resp, b = do("DELETE", "")
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" || !json.Valid(b) {
		t.Fatalf("DELETE: %d %q %v", resp.StatusCode, b, resp.Header)
	}
}

func TestNewHandlerErrors(t *testing.T) {
	keys := testKeys(t, 2)
	tests := []struct {
		name string
		src  Source
		opts *Options
		want error // nil: any error
		msg  string
	}{
		{"nil source", nil, nil, nil, "Source is nil"},
		{"nil key", Static(Key{ID: "a"}), nil, ErrInvalidKey, "public key is missing"},
		{"short key", Static(Key{ID: "a", Public: &rsa.PublicKey{N: big.NewInt(3233), E: 17}}), nil, ErrInvalidKey, "12 bits, too short"},
		{"empty kid", Static(Key{Public: keys[0].Public}), nil, ErrInvalidKey, "key ID is empty"},
		{"duplicate kid", Static(Key{ID: "a", Public: keys[0].Public}, Key{ID: "a", Public: keys[1].Public}), nil, ErrInvalidKey, "duplicate key ID"},
		{"control kid", Static(Key{ID: "a\x07", Public: keys[0].Public}), nil, ErrInvalidKey, "control characters"},
		{"bad Cache-Control", Static(keys...), &Options{CacheControl: "public\r\nX-Evil: 1"}, nil, "control characters"},
		{"asynchronous source", asyncSource{}, nil, nil, "did not call fn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHandler(tt.src, tt.opts)
			if err == nil || h != nil {
				t.Fatalf("NewHandler = %v, %v; want an error", h, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "jwks: ") || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q lacks the package prefix or %q", err, tt.msg)
			}
		})
	}
}

// asyncSource breaks the Source contract: it does not call fn during Subscribe.
type asyncSource struct{}

func (asyncSource) Subscribe(func([]Key)) func() { return nil }

func TestNewHandlerCancelsOnError(t *testing.T) {
	src := newFlipSource([]Key{{ID: "a"}})
	if _, err := NewHandler(src, nil); err == nil {
		t.Fatal("NewHandler accepted a nil key")
	}
	if n := src.subscribers(); n != 0 {
		t.Fatalf("%d subscriptions left after a failed NewHandler", n)
	}
}

func TestEmptySet(t *testing.T) {
	h := newTestHandler(t, Static(), nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 200 || w.Body.String() != `{"keys":[]}` {
		t.Fatalf("empty set: %d %q", w.Code, w.Body)
	}
}

func TestZeroHandler(t *testing.T) {
	var h Handler
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("zero Handler answered %d", w.Code)
	}
	h.Close()
}

// Later sets: valid keys are published, invalid ones left out, logged (kid
// and reason only) and reported by Err.
func TestUpdateWithInvalidKeys(t *testing.T) {
	priv := testPrivateKeys(t)
	keys := testKeys(t, 3)
	var logs bytes.Buffer
	src := newFlipSource(keys[:1])
	h := newTestHandler(t, src, &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := h.Err(); err != nil {
		t.Fatalf("Err after a clean start = %v", err)
	}

	src.Set([]Key{keys[1], {ID: "broken"}, {ID: keys[1].ID, Public: keys[2].Public}, keys[2]})
	want, _ := Marshal([]Key{keys[1], keys[2]})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Body.String() != string(want) {
		t.Fatalf("published %s\nwant %s", w.Body, want)
	}
	err := h.Err()
	if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), "public key is missing") || !strings.Contains(err.Error(), "duplicate key ID") {
		t.Fatalf("Err = %v, want ErrInvalidKey naming the missing key and the duplicate ID", err)
	}
	out := logs.String()
	if strings.Count(out, "level=WARN") != 2 || !strings.Contains(out, "broken") {
		t.Fatalf("log = %q, want two warnings naming the keys", out)
	}
	for _, p := range priv {
		for _, v := range []*big.Int{p.D, p.Primes[0], p.Primes[1]} {
			s := base64.RawURLEncoding.EncodeToString(v.Bytes())
			if strings.Contains(out, s) || strings.Contains(err.Error(), s) {
				t.Fatal("private key material in a log line or error")
			}
		}
	}

	src.Set(keys[:2])
	if err := h.Err(); err != nil {
		t.Fatalf("Err after a clean set = %v", err)
	}
}

func TestClose(t *testing.T) {
	keys := testKeys(t, 2)
	src := newFlipSource(keys[:1])
	h, err := NewHandler(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	h.Close()
	if n := src.subscribers(); n != 0 {
		t.Fatalf("%d subscriptions after Close", n)
	}
	src.Set(keys)
	want, _ := Marshal(keys[:1])
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Body.String() != string(want) {
		t.Fatal("Handler changed after Close or stopped serving the last set")
	}
}

// TestRotationAtomic: readers never see a half-updated set. Every answer's
// body is one of the complete sets, and its ETag and Content-Length belong
// to that same body.
func TestRotationAtomic(t *testing.T) {
	keys := testKeys(t, 4)
	sets := [][]Key{keys[:1], keys[:2], keys[1:4], {keys[3]}, {}}
	valid := map[string]bool{}
	for _, s := range sets {
		b, err := Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		valid[string(b)] = true
	}
	src := newFlipSource(sets[0])
	h := newTestHandler(t, src, nil)

	var stop atomic.Bool
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	seen := make([]map[string]bool, 4)
	for g := range seen {
		seen[g] = map[string]bool{}
		wg.Go(func() {
			for n := 0; !stop.Load() || n < 100; n++ {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
				b := w.Body.String()
				switch {
				case !valid[b]:
					errc <- errors.New("body is not one of the complete sets: " + b)
					return
				case w.Header().Get("ETag") != etagOf(w.Body.Bytes()):
					errc <- errors.New("ETag does not belong to the body")
					return
				case w.Header().Get("Content-Length") != strconv.Itoa(len(b)):
					errc <- errors.New("Content-Length does not belong to the body")
					return
				}
				seen[g][b] = true
			}
		})
	}
	for i := range 500 {
		src.Set(sets[i%len(sets)])
		if i%50 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	total := map[string]bool{}
	for _, s := range seen {
		for b := range s {
			total[b] = true
		}
	}
	t.Logf("readers saw %d of %d sets", len(total), len(sets))
}

// TestKeyfuncVerifies fetches the set with keyfunc/v3 over loopback HTTP and
// verifies RS256 tokens with golang-jwt, including after a rotation.
func TestKeyfuncVerifies(t *testing.T) {
	priv := testPrivateKeys(t)
	keys := testKeys(t, 2)
	src := newFlipSource(keys[:1])
	h := newTestHandler(t, src, nil)
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/jwks.json", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{srv.URL + "/.well-known/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(i int) string {
		t.Helper()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"iss": "https://issuer.test", "sub": "user-1",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		})
		tok.Header["kid"] = keys[i].ID
		s, err := tok.SignedString(priv[i])
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	verify := func(tok string) error {
		_, err := jwt.Parse(tok, kf.Keyfunc, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer("https://issuer.test"))
		return err
	}
	if err := verify(sign(0)); err != nil {
		t.Fatalf("token of the published key: %v", err)
	}
	// A token claiming a published kid but signed by another key fails.
	forged := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": "https://issuer.test", "sub": "x"})
	forged.Header["kid"] = keys[0].ID
	forgedString, err := forged.SignedString(priv[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(forgedString); err == nil {
		t.Fatal("token signed by an unpublished key verified")
	}
	// Rotation: the second key is published; keyfunc refetches the set on
	// the unknown kid (its limiter allows one immediate refresh).
	src.Set(keys[:2])
	if err := verify(sign(1)); err != nil {
		t.Fatalf("token of the newly published key: %v", err)
	}
	if err := verify(sign(0)); err != nil {
		t.Fatalf("old key after rotation: %v", err)
	}
}
