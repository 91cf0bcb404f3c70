package main

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// sessionCookie names the devserver's own session cookie (not Dynamic's).
const sessionCookie = "extauth_session"

// maxSessions bounds the in-memory store; the oldest sessions are dropped.
const maxSessions = 1000

// session is what the dashboard shows about a signed-in Dynamic user. It
// deliberately keeps no Dynamic access token: the page does not need one.
type session struct {
	UserID         string
	Email          string
	ExternalUserID string
	Sub            string
	ExpiresAt      time.Time
	NewUser        bool
	Local          bool
	created        time.Time
}

// sessionStore keeps sessions in memory under random ids.
type sessionStore struct {
	mu  sync.Mutex
	m   map[string]*session
	now func() time.Time
}

func newSessionStore(now func() time.Time) *sessionStore {
	if now == nil {
		now = time.Now
	}
	return &sessionStore{m: map[string]*session{}, now: now}
}

// create stores s and returns its new id (256 random bits, base64url).
func (st *sessionStore) create(s *session) string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	id := base64.RawURLEncoding.EncodeToString(b[:])
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	s.created = now
	for k, v := range st.m {
		if !v.ExpiresAt.After(now) {
			delete(st.m, k)
		}
	}
	for len(st.m) >= maxSessions {
		var oldest string
		for k, v := range st.m {
			if oldest == "" || v.created.Before(st.m[oldest].created) {
				oldest = k
			}
		}
		delete(st.m, oldest)
	}
	st.m[id] = s
	return id
}

// get returns the live session for id, or nil.
func (st *sessionStore) get(id string) *session {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.m[id]
	if s == nil {
		return nil
	}
	if !s.ExpiresAt.After(st.now()) {
		delete(st.m, id)
		return nil
	}
	c := *s
	return &c
}

func (st *sessionStore) delete(id string) {
	st.mu.Lock()
	delete(st.m, id)
	st.mu.Unlock()
}

// fromRequest returns the session named by r's cookie, or nil.
func (st *sessionStore) fromRequest(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) > 100 {
		return nil
	}
	return st.get(c.Value)
}

func setSessionCookie(w http.ResponseWriter, id string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    id,
		Path:     "/",
		Expires:  expires,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// dynamicTokenCookie carries Dynamic's access token to GET /api/me, as a
// cookie-based Dynamic environment's DYNAMIC_JWT_TOKEN does: HttpOnly,
// SameSite=Strict, sent to /api/me only.
const dynamicTokenCookie = "DYNAMIC_JWT_TOKEN"

func setDynamicTokenCookie(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: dynamicTokenCookie, Value: token, Path: mePath, Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

func clearDynamicTokenCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: dynamicTokenCookie, Value: "", Path: mePath, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}
