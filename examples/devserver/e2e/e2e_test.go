package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"
)

// TestGenerateShowsToken types a subject on /jwt, clicks Generate, and checks
// the token shown: its decoded header and payload on the page, and the token
// itself, decoded and verified in Go against the devserver's JWKS.
func TestGenerateShowsToken(t *testing.T) {
	p := setup(t)
	sub := randomSubject(t)

	p.open("/jwt")
	p.waitElem("the subject input is visible", "#sub", visible)
	p.checkLocalBadge()
	if v := p.get("#sub").Value; v == "" {
		t.Errorf("#sub is empty on load; it should be pre-filled with a random UUID")
	}
	if e := p.get("#error"); e.Visible && e.Text != "" {
		t.Errorf("#error shows %q before anything was done", e.Text)
	}
	p.shot("jwt-page")
	p.checkNoOverflow("/jwt")

	p.typeInto("#sub", sub)
	p.click("#generate")
	shown := p.waitElem("the token is shown", "#token", func(e elem) bool {
		return e.Visible && strings.Count(e.Text, ".") == 2
	})
	token := strings.Join(strings.Fields(shown.Text), "")
	p.shot("token-generated")

	if e := p.get("#error"); e.Visible && e.Text != "" {
		t.Errorf("#error shows %q after a successful Generate", e.Text)
	}
	if e := p.get("#copy-token"); !e.Visible {
		t.Errorf("no visible copy button (#copy-token) next to the token: %+v", e)
	}

	header, claims := decodeJWT(t, token)
	if got := claims["sub"]; got != sub {
		t.Errorf("token sub = %v, want the typed %q", got, sub)
	}
	iss, _ := claims["iss"].(string)
	if iss == "" {
		t.Fatalf("token has no iss: %v", claims)
	}
	kid, _ := header["kid"].(string)
	if header["alg"] != "RS256" || kid == "" {
		t.Errorf("token header = %v, want alg RS256 and a kid", header)
	}

	// The decoded blocks may sit in a collapsed <details>, as in the demo:
	// open it the way a person does, by clicking its summary.
	if !p.get("#decoded-payload").Visible {
		p.openDetailsOf("#decoded-payload")
	}
	payload := p.waitElem("the decoded payload shows the subject", "#decoded-payload", func(e elem) bool {
		return e.Visible && strings.Contains(e.Text, sub)
	})
	p.shot("decoded-payload")
	p.checkNoOverflow("/jwt with a token")
	for _, want := range []string{`"sub"`, sub, `"iss"`, iss} {
		if !strings.Contains(payload.Text, want) {
			t.Errorf("decoded payload does not show %q:\n%s", want, payload.Text)
		}
	}
	if exp, ok := claims["exp"].(float64); ok {
		date := time.Unix(int64(exp), 0).UTC().Format("2006-01-02")
		if !strings.Contains(payload.Text, date) {
			t.Errorf("decoded payload does not show exp as a date (%s…):\n%s", date, payload.Text)
		}
	}
	hdr := p.get("#decoded-header")
	for _, want := range []string{"RS256", kid} {
		if !strings.Contains(hdr.Text, want) {
			t.Errorf("decoded header does not show %q:\n%s", want, hdr.Text)
		}
	}

	// The token must verify against the published keys, as Dynamic would
	// check it.
	kf, err := keyfunc.NewJWKSetJSON(p.srv.jwks(p.ctx, t))
	if err != nil {
		t.Fatalf("parse the devserver's JWKS: %v", err)
	}
	if _, err := jwt.Parse(token, kf.Keyfunc,
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(iss),
		jwt.WithSubject(sub),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	); err != nil {
		t.Errorf("the shown token does not verify against /api/dev/jwks: %v", err)
	}

	// The setup panel carries the real values to enter in Dynamic.
	if panel := p.get("#setup-panel"); !panel.Found {
		t.Errorf("no #setup-panel on /jwt")
	} else if txt := p.textContent("#setup-panel"); !strings.Contains(txt, iss) {
		t.Errorf("#setup-panel does not name our iss %q:\n%s", iss, txt)
	}
	if !p.get("#detect-ngrok").Found {
		t.Errorf("no #detect-ngrok button on /jwt")
	}
	p.srv.assertNotLogged(t, "token", token)
}

// TestGenerateAndSignInReachesDashboard signs in with Generate & Sign In and
// checks the dashboard, the session cookie, and sign-out.
func TestGenerateAndSignInReachesDashboard(t *testing.T) {
	p := setup(t)
	sub := randomSubject(t)
	email := sub + "@example.com"

	p.open("/jwt")
	p.waitElem("the subject input is visible", "#sub", visible)
	p.typeInto("#sub", sub)
	p.typeInto("#email", email)
	p.shot("filled-in")
	p.click("#generate-signin")

	p.waitDashboard()
	p.shot("dashboard")
	p.checkDashboard(sub, email)
	p.checkLocalBadge()
	p.checkSessionCookies()

	p.click("#sign-out")
	p.waitFor("sign-out has loaded a page without the user",
		`document.readyState === "complete" &&
		 (location.pathname !== "/dashboard" || !document.querySelector("#external-user-id"))`)
	p.shot("signed-out")
	p.open("/dashboard")
	if e := p.get("#external-user-id"); e.Visible && strings.Contains(e.Text, sub) {
		t.Errorf("/dashboard still shows the user after sign-out: %+v", e)
	}
	p.shot("dashboard-after-sign-out")
}

// TestJWTSectionVisibility checks that the sign-in page offers the JWT
// section exactly when the (local) Dynamic project has external auth on.
func TestJWTSectionVisibility(t *testing.T) {
	t.Run("on", func(t *testing.T) {
		p := setup(t)
		p.open("/")
		toggle := p.waitElem("the JWT section toggle is visible", "#jwt-section-toggle", visible)
		p.checkLocalBadge()
		if !strings.Contains(toggle.Text, "Sign in with JWT") {
			t.Errorf("toggle text = %q, want it to say \"Sign in with JWT\"", toggle.Text)
		}
		if p.get("#jwt-token").Visible {
			t.Errorf("the JWT section is open before the toggle is clicked; it should start collapsed")
		}
		p.shot("collapsed")

		p.click("#jwt-section-toggle")
		p.waitElem("the textarea is visible after the toggle", "#jwt-token", visible)
		if e := p.get("#jwt-token"); e.Tag != "textarea" {
			t.Errorf("#jwt-token is a <%s>, want a <textarea>", e.Tag)
		}
		if e := p.get("#authenticate"); !e.Visible {
			t.Errorf("no visible Authenticate button: %+v", e)
		}
		if e := p.get(`a[href="/jwt"]`); !e.Visible {
			t.Errorf("no visible link to /jwt (\"Generate a test token\"): %+v", e)
		}
		p.shot("expanded")
	})

	t.Run("off", func(t *testing.T) {
		p := setup(t, flagExternalAuthOff)
		p.open("/")
		// Wait for something that every page shows, so that the absence
		// below is not just a page that has not rendered yet.
		p.waitElem("the local Dynamic badge is visible", "#local-dynamic-badge", visible)
		if e := p.get("#jwt-section-toggle"); e.Found {
			t.Errorf("#jwt-section-toggle is rendered although external auth is off: %+v", e)
		}
		if e := p.get("#jwt-token"); e.Visible {
			t.Errorf("#jwt-token is visible although external auth is off: %+v", e)
		}
		p.shot("hidden")
	})
}

// TestSignInErrorIsReadable makes the local Dynamic expect another issuer, so
// every sign-in fails, and checks that both sign-in paths show a short error
// that names the issuer problem instead of a raw response; and that a bad
// email on Generate is explained the same way.
func TestSignInErrorIsReadable(t *testing.T) {
	p := setup(t, flagOtherIssuer)

	p.open("/jwt")
	p.waitElem("the subject input is visible", "#sub", visible)
	p.typeInto("#sub", randomSubject(t))
	p.click("#generate-signin")
	e := p.waitElem("the sign-in error is shown", "#error", func(e elem) bool {
		return e.Visible && e.Text != ""
	})
	p.shot("jwt-sign-in-error")
	if got := p.path(); got != "/jwt" {
		t.Errorf("after a failed sign-in the page is %s, want to stay on /jwt", got)
	}
	checkReadableError(t, "/jwt sign-in", e.Text, "iss")

	// A claim the devserver refuses to mint is explained too.
	p.typeInto("#email", "not an email")
	p.click("#generate")
	e = p.waitElem("the generate error is shown", "#error", func(e elem) bool {
		return e.Visible && e.Text != ""
	})
	p.shot("jwt-generate-error")
	checkReadableError(t, "/jwt generate", e.Text, "email")
	if tok := p.get("#token"); tok.Visible {
		t.Errorf("a token is shown although Generate failed: %q", tok.Text)
	}

	token := p.srv.mint(p.ctx, t, randomSubject(t), "")
	p.open("/")
	p.waitElem("the JWT section toggle is visible", "#jwt-section-toggle", visible)
	p.click("#jwt-section-toggle")
	p.waitElem("the textarea is visible", "#jwt-token", visible)
	p.paste("#jwt-token", token)
	p.click("#authenticate")
	e = p.waitElem("the sign-in error is shown", "#error", func(e elem) bool {
		return e.Visible && e.Text != ""
	})
	p.shot("home-sign-in-error")
	if got := p.path(); got == "/dashboard" {
		t.Errorf("a rejected token reached /dashboard")
	}
	checkReadableError(t, "/ sign-in", e.Text, "iss")
}

// TestPasteTokenAuthenticate pastes a minted token into the JWT section of
// the sign-in page and checks that Authenticate lands on the dashboard.
func TestPasteTokenAuthenticate(t *testing.T) {
	p := setup(t)
	sub := randomSubject(t)
	email := sub + "@example.com"
	token := p.srv.mint(p.ctx, t, sub, email)

	p.open("/")
	p.waitElem("the JWT section toggle is visible", "#jwt-section-toggle", visible)
	p.click("#jwt-section-toggle")
	p.waitElem("the textarea is visible", "#jwt-token", visible)
	p.paste("#jwt-token", token)
	if got := strings.TrimSpace(p.get("#jwt-token").Value); got != token {
		t.Fatalf("the textarea holds %d bytes after the paste, want the %d-byte token", len(got), len(token))
	}
	p.shot("pasted")
	p.click("#authenticate")

	p.waitDashboard()
	p.shot("dashboard")
	p.checkDashboard(sub, email)
	p.srv.assertNotLogged(t, "token", token)
}

// waitDashboard waits until a sign-in has landed on /dashboard and it shows a
// user; an error shown on the way ends the wait early.
func (p *page) waitDashboard() {
	p.t.Helper()
	p.waitFor("the browser is on /dashboard showing a user (or an error is shown)",
		`(location.pathname === "/dashboard" && document.readyState === "complete" &&
		  document.querySelector("#external-user-id")) ||
		 (document.querySelector("#error") && document.querySelector("#error").offsetParent !== null &&
		  document.querySelector("#error").innerText.trim() !== "")`)
	if p.path() != "/dashboard" {
		p.shot("sign-in-failed")
		p.fatalf("sign-in failed: %q", p.get("#error").Text)
	}
}

// checkDashboard checks the user fields of /dashboard.
func (p *page) checkDashboard(sub, email string) {
	p.t.Helper()
	if e := p.get("#external-user-id"); strings.TrimSpace(e.Text) != sub {
		p.t.Errorf("#external-user-id = %q, want the subject %q", e.Text, sub)
	}
	if e := p.get("#user-email"); email != "" && !strings.Contains(e.Text, email) {
		p.t.Errorf("#user-email = %q, want %q", e.Text, email)
	}
	for _, sel := range []string{"#user-id", "#session-expiry"} {
		if e := p.get(sel); !e.Visible || e.Text == "" {
			p.t.Errorf("%s is empty or hidden on the dashboard: %+v", sel, e)
		}
	}
	if e := p.get("#sign-out"); !e.Visible {
		p.t.Errorf("no visible sign-out control (#sign-out): %+v", e)
	}
}

// checkLocalBadge checks the label that every page carries while the local
// Dynamic runs.
func (p *page) checkLocalBadge() {
	p.t.Helper()
	if e := p.get("#local-dynamic-badge"); !e.Visible || e.Text == "" {
		p.t.Errorf("%s: #local-dynamic-badge is missing or hidden with the local Dynamic: %+v", p.path(), e)
	}
}

// checkSessionCookies checks that the cookies the devserver set cannot be read
// by scripts and are not sent on cross-site requests.
func (p *page) checkSessionCookies() {
	p.t.Helper()
	res, err := chromedp.Call(p.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{p.srv.URL + "/"}})
	if err != nil {
		p.t.Errorf("read cookies: %v", err)
		return
	}
	if len(res.Cookies) == 0 {
		p.t.Errorf("no cookie after sign-in; the session should live behind an HttpOnly cookie")
	}
	for _, c := range res.Cookies {
		if !c.HTTPOnly {
			p.t.Errorf("cookie %q is not HttpOnly", c.Name)
		}
		if c.SameSite == "" {
			p.t.Errorf("cookie %q has no SameSite attribute", c.Name)
		}
	}
}

// openDetailsOf clicks the summary of the closed <details> around sel.
func (p *page) openDetailsOf(sel string) {
	p.t.Helper()
	arg, _ := json.Marshal(sel)
	js := `(() => { const e = document.querySelector(` + string(arg) + `);
		const d = e && e.closest("details");
		if (!d || d.open) return false;
		const s = d.querySelector("summary"); if (s) s.scrollIntoView();
		return true; })()`
	closed, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		p.fatalf("find the details around %s: %v", sel, err)
	}
	if closed {
		p.click("details:has(" + sel + ") > summary")
	}
}

// overflowJS lists the elements that stick out of the content box of their
// card (a long kid or URL that does not wrap), and a page wider than the
// window. Text inside a <pre> is skipped: a pre scrolls.
const overflowJS = `(() => {
	const out = [];
	if (document.documentElement.scrollWidth > document.documentElement.clientWidth)
		out.push("the page scrolls sideways: " + document.documentElement.scrollWidth + "px > " + document.documentElement.clientWidth + "px");
	for (const card of document.querySelectorAll(".card")) {
		const cr = card.getBoundingClientRect(), cs = getComputedStyle(card);
		const left = cr.left + parseFloat(cs.paddingLeft) - 1, right = cr.right - parseFloat(cs.paddingRight) + 1;
		for (const el of card.querySelectorAll("*")) {
			if (el.parentElement.closest("pre")) continue;
			for (const r of el.getClientRects()) {
				if (r.width > 0 && (r.right > right || r.left < left)) {
					out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + JSON.stringify((el.textContent || "").trim().slice(0, 50)) +
						" spans " + Math.round(r.left) + "–" + Math.round(r.right) + "px, its card's content box " + Math.round(left) + "–" + Math.round(right) + "px");
					break;
				}
			}
		}
	}
	return out;
})()`

// checkNoOverflow fails the test when something sticks out of its card.
func (p *page) checkNoOverflow(where string) {
	p.t.Helper()
	out, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](overflowJS))
	if err != nil {
		p.fatalf("measure the layout of %s: %v", where, err)
	}
	for _, o := range out {
		p.t.Errorf("%s: layout overflow: %s", where, o)
	}
}

// textContent returns all text of the element, shown or not.
func (p *page) textContent(sel string) string {
	p.t.Helper()
	arg, _ := json.Marshal(sel)
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](
		`(document.querySelector(`+string(arg)+`) || {textContent: ""}).textContent`))
	if err != nil {
		p.fatalf("read the text of %s: %v", sel, err)
	}
	return v
}

// rawDump matches what an error shown to a person must not contain: JSON,
// Go values, HTML, HTTP status lines or stack traces.
var rawDump = regexp.MustCompile(`(?i)\{"|"error"\s*:|&\{|map\[|<html|<!doctype|unprocessable entity|^\s*\d{3}\b|goroutine \d|panic:`)

// checkReadableError checks an error text shown to a person: short, no raw
// response, and naming the problem (mention, case-insensitive).
func checkReadableError(t *testing.T, where, text, mention string) {
	t.Helper()
	// A hard bound against dumps; shorter is better (see CHANGES.md).
	if n := utf8.RuneCountInString(text); n > 600 {
		t.Errorf("%s: the error is %d characters long; keep it short:\n%s", where, n, text)
	}
	if m := rawDump.FindString(text); m != "" {
		t.Errorf("%s: the error looks like a raw response (%q):\n%s", where, m, text)
	}
	if !strings.Contains(strings.ToLower(text), strings.ToLower(mention)) {
		t.Errorf("%s: the error does not name the problem (%q):\n%s", where, mention, text)
	}
}

// decodeJWT decodes the header and the claims of a compact JWS without
// verifying it.
func decodeJWT(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("token part %d is not base64url: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("token part %d is not JSON: %v", i, err)
		}
	}
	return header, claims
}

// randomSubject returns a subject no other run uses.
func randomSubject(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "e2e-user-" + hex.EncodeToString(b)
}

// TestNarrowWindow checks the pages in a phone-sized window: nothing sticks
// out of its card and the page never scrolls sideways (the header's badge
// used to be pushed off-screen).
func TestNarrowWindow(t *testing.T) {
	p := setup(t)
	if err := chromedp.Do(p.ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		p.fatalf("narrow the window: %v", err)
	}
	p.open("/jwt")
	p.waitElem("the subject input is visible", "#sub", visible)
	p.click("#generate")
	p.waitElem("the token is shown", "#token", visible)
	p.checkLocalBadge()
	p.checkNoOverflow("/jwt at 390px")
	p.shot("jwt-narrow")
	p.open("/")
	p.waitElem("the JWT section toggle is visible", "#jwt-section-toggle", visible)
	p.checkNoOverflow("/ at 390px")
	p.shot("home-narrow")
}
