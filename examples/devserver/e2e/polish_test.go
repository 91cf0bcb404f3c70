package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// box is what a person sees of an element: its rendered size and the
// styles that decide how it looks.
type box struct {
	Found      bool    `json:"found"`
	Width      float64 `json:"width"`
	Height     float64 `json:"height"`
	Display    string  `json:"display"`
	Color      string  `json:"color"`
	Background string  `json:"background"`
}

const boxJS = `(sel) => {
	const e = document.querySelector(sel);
	if (!e) return {found: false, width: 0, height: 0, display: "", color: "", background: ""};
	const r = e.getBoundingClientRect(), st = getComputedStyle(e);
	return {found: true, width: r.width, height: r.height, display: st.display, color: st.color, background: st.backgroundColor};
}`

// box reads the rendered box of the element sel, not its attributes: the
// JWT section used to keep its box (display: flex beat the hidden
// attribute) while the attribute said hidden.
func (p *page) box(sel string) box {
	p.t.Helper()
	arg, _ := json.Marshal(sel)
	b, err := chromedp.Run(p.ctx, chromedp.Evaluate[box]("("+boxJS+")("+string(arg)+")"))
	if err != nil {
		p.fatalf("read the box of %s: %v", sel, err)
	}
	return b
}

// TestJWTSectionCollapses (issue 12.2): the toggle opens and closes the
// section the user sees.
func TestJWTSectionCollapses(t *testing.T) {
	p := setup(t)
	p.open("/")
	p.waitElem("the JWT section toggle is visible", "#jwt-section-toggle", visible)
	if b := p.box("#jwt-section"); b.Height != 0 || b.Display != "none" {
		t.Errorf("the collapsed section has a %vx%v box (display %s)", b.Width, b.Height, b.Display)
	}
	p.click("#jwt-section-toggle")
	p.waitElem("the textarea is visible after the toggle", "#jwt-token", visible)
	if b := p.box("#jwt-section"); b.Height == 0 {
		t.Errorf("the opened section has no box")
	}
	p.click("#jwt-section-toggle")
	p.waitFor("the section closed", `document.getElementById("jwt-section").getBoundingClientRect().height === 0`)
	if exp := p.attr("#jwt-section-toggle", "aria-expanded"); exp != "false" {
		t.Errorf("aria-expanded = %q after closing", exp)
	}
	p.shot("closed-again")
}

// openAttr reports whether the <details> sel is open.
func (p *page) openAttr(sel string) bool {
	p.t.Helper()
	s, _ := json.Marshal(sel)
	open, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`!!(document.querySelector(`+string(s)+`) || {}).open`))
	if err != nil {
		p.fatalf("read open of %s: %v", sel, err)
	}
	return open
}

func (p *page) attr(sel, name string) string {
	p.t.Helper()
	s, _ := json.Marshal(sel)
	n, _ := json.Marshal(name)
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`(document.querySelector(`+string(s)+`) || {getAttribute: () => ""}).getAttribute(`+string(n)+`) || ""`))
	if err != nil {
		p.fatalf("read %s of %s: %v", name, sel, err)
	}
	return v
}

// TestNavAndLinks (issue 12.11): the nav marks the current page, links are
// not the browser's default blue, and Enter in the Subject field generates.
func TestNavAndLinks(t *testing.T) {
	p := setup(t)
	for path, label := range map[string]string{"/": "Sign in", "/jwt": "JWT generator"} {
		p.open(path)
		p.waitElem("the nav is visible", "nav", visible)
		if e := p.get(`nav a[aria-current="page"]`); e.Text != label {
			t.Errorf("%s: the nav marks %q as the current page, want %q", path, e.Text, label)
		}
	}
	p.open("/jwt")
	p.waitElem("the subject input is visible", "#sub", visible)
	if c := p.box(`#setup-panel a[href^="https://"]`).Color; c == "rgb(0, 0, 238)" || c == "rgb(85, 26, 139)" || c == "" {
		t.Errorf("links use the browser's default colour %q", c)
	}
	p.typeInto("#sub", randomSubject(t))
	if err := chromedp.Do(p.ctx, chromedp.SendKeys(chromedp.CSS("#sub"), kb.Enter)); err != nil {
		p.fatalf("press Enter: %v", err)
	}
	p.waitElem("Enter in the Subject field generated a token", "#token", func(e elem) bool {
		return e.Visible && strings.Count(e.Text, ".") == 2
	})
}

// TestDarkMode (issue 12.11): with prefers-color-scheme: dark the pages
// are dark, and text stays light on them.
func TestDarkMode(t *testing.T) {
	p := setup(t)
	if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		p.fatalf("emulate dark mode: %v", err)
	}
	p.open("/jwt")
	p.waitElem("the subject input is visible", "#sub", visible)
	body, card := p.box("body"), p.box(".card")
	if luminance(body.Background) > 0.2 || luminance(card.Background) > 0.2 || luminance(body.Color) < 0.6 {
		t.Errorf("dark mode: body %s on %s, card %s", body.Color, body.Background, card.Background)
	}
	p.shot("dark")
}

// luminance is a rough 0..1 brightness of a CSS rgb()/rgba() colour.
func luminance(css string) float64 {
	var r, g, b float64
	css = strings.NewReplacer("rgba(", "", "rgb(", "", ")", "", ",", " ").Replace(css)
	f := strings.Fields(css)
	if len(f) < 3 {
		return -1
	}
	for i, dst := range []*float64{&r, &g, &b} {
		var v float64
		for _, ch := range f[i] {
			if ch >= '0' && ch <= '9' {
				v = v*10 + float64(ch-'0')
			}
		}
		*dst = v / 255
	}
	return 0.2126*r + 0.7152*g + 0.0722*b
}

// TestPhoneHeader (issue 12.9 and 12.11): at 390 px the header takes at
// most two rows, and the local-Dynamic badge explains itself on a tap.
func TestPhoneHeader(t *testing.T) {
	p := setup(t)
	if err := chromedp.Do(p.ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		p.fatalf("narrow the window: %v", err)
	}
	p.open("/jwt")
	p.waitElem("the subject input is visible", "#sub", visible)
	brand, nav := p.box(".brand"), p.box("nav")
	if h := p.box("header.top").Height; h > 3*brand.Height+24 || nav.Height > 1.5*brand.Height {
		t.Errorf("header is %vpx high (nav %vpx, one row %vpx): more than two rows", h, nav.Height, brand.Height)
	}
	if p.openAttr("#local-dynamic-badge") {
		t.Errorf("the badge's explanation is open before a tap")
	}
	p.click("#local-dynamic-badge summary")
	if e := p.waitElem("the badge explains itself", "#local-dynamic-badge p", visible); !strings.Contains(e.Text, "DYNAMIC_ENVIRONMENT_ID") {
		t.Errorf("badge explanation = %q", e.Text)
	}
	p.shot("phone-header")
}

// TestLocalModeSetupPanel (issue 12.9): with the local Dynamic the setup
// panel shows no red ngrok error and probes nothing on load (no 503 in the
// console); a click on Detect ngrok still asks.
func TestLocalModeSetupPanel(t *testing.T) {
	p := setup(t)
	p.open("/jwt")
	status := p.waitElem("the ngrok status is visible", "#ngrok-status", visible)
	time.Sleep(300 * time.Millisecond) // a probe on load would have been sent by now
	if strings.Contains(p.srv.Log(), "path=/api/dev/ngrok") {
		t.Errorf("the page probed ngrok on load in local mode:\n%s", p.srv.Log())
	}
	if !strings.Contains(status.Text, "Not needed with the local Dynamic") || p.attr("#ngrok-status", "class") != "status" {
		t.Errorf("ngrok status %q (class %q)", status.Text, p.attr("#ngrok-status", "class"))
	}
	p.click("#detect-ngrok")
	p.waitFor("the click asked the devserver", `!document.getElementById("ngrok-status").textContent.startsWith("Checking")`)
	if cls := p.attr("#ngrok-status", "class"); cls != "status" {
		t.Errorf("a failed detection is shown as an error in local mode (class %q)", cls)
	}
}

// TestAdvancedInvalidTokens (issue 12, the tokens a tester needs): the
// Advanced section mints a token Dynamic must refuse, says so, and
// Generate & Sign In shows the local Dynamic's refusal.
func TestAdvancedInvalidTokens(t *testing.T) {
	p := setup(t)
	p.open("/jwt")
	p.waitElem("the subject input is visible", "#sub", visible)
	if p.openAttr("#advanced") {
		t.Errorf("the Advanced section is open on load")
	}
	p.openDetailsOf("#invalid")
	if err := chromedp.Do(p.ctx, chromedp.SetValue(chromedp.CSS("#invalid"), "expired")); err != nil {
		p.fatalf("pick expired: %v", err)
	}
	p.click("#generate")
	if e := p.waitElem("the refusal note is shown", "#refusal", visible); !strings.Contains(e.Text, "exp is in the past") {
		t.Errorf("refusal note = %q", e.Text)
	}
	p.click("#generate-signin")
	e := p.waitElem("the sign-in error is shown", "#error", func(e elem) bool { return e.Visible && e.Text != "" })
	checkReadableError(t, "/jwt expired sign-in", e.Text, "expired")
	p.shot("expired-refused")
}

// TestDashboardShowsVerifiedClaims (issue 10 and 12.11): after sign-in the
// dashboard shows what the backend verified of Dynamic's session token
// (GET /api/me through dynamic/session's middleware).
func TestDashboardShowsVerifiedClaims(t *testing.T) {
	p := setup(t)
	p.open("/jwt")
	p.waitElem("the subject input is visible", "#sub", visible)
	p.typeInto("#sub", randomSubject(t))
	p.click("#generate-signin")
	p.waitDashboard()
	p.waitFor("the dashboard verified the session", `document.getElementById("verified-claims").dataset.state !== undefined`)
	if state := p.attr("#verified-claims", "data-state"); state != "verified" {
		t.Fatalf("verified-claims state %q: %s", state, p.get("#verified-claims").Text)
	}
	text := p.get("#verified-claims").Text
	userID := p.get("#user-id").Text
	for _, want := range []string{"Verified", userID, "user:basic"} {
		if !strings.Contains(text, want) {
			t.Errorf("verified claims %q lack %q", text, want)
		}
	}
	p.shot("dashboard-verified")
}
