package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestOtherOriginCannotMintOrSignIn opens a page of another origin on this
// machine (another port of 127.0.0.1, as another dev server would be) that
// fires credentialed no-cors POSTs at the devserver: simple requests, which
// the browser sends without a CORS preflight. The devserver must refuse them
// all (no token minted, nobody signed in, no session cookie), while a plain
// link from that page (or from another site) to /jwt still opens the
// generator.
func TestOtherOriginCannotMintOrSignIn(t *testing.T) {
	p := setup(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>another origin</title></head><body>
<p><a id="link" href="%[1]s/jwt">the devserver's generator</a></p>
<script>
const post = (path, body, type) => fetch(%[2]q + path, {method: "POST", mode: "no-cors", credentials: "include",
	headers: type ? {"Content-Type": type} : {}, body: body}).then(() => "sent", (e) => "error " + e);
Promise.all([
	post("/api/signin", undefined),
	post("/api/signin", "", "text/plain"),
	post("/api/dev/jwt", undefined),
	post("/signout", "", "application/x-www-form-urlencoded"),
]).then((r) => { window.done = r.join(","); });
</script></body></html>`, p.srv.URL, p.srv.URL)
	}))
	t.Cleanup(other.Close)

	if err := chromedp.Do(p.ctx, chromedp.Navigate(other.URL+"/")); err != nil {
		p.fatalf("open the other origin's page: %v", err)
	}
	p.waitFor("the other origin's page has sent its requests", `window.done !== undefined`)
	p.shot("other-origin")

	// The devserver logs one line per request with its status.
	posts := regexp.MustCompile(`method=POST path=(\S+) status=(\d+)`)
	var lines [][]string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		// The log reaches us through a pipe, a moment after the answers.
		if lines = posts.FindAllStringSubmatch(p.srv.Log(), -1); len(lines) >= 4 || time.Now().After(deadline) {
			break
		}
	}
	var got []string
	for _, m := range lines {
		got = append(got, m[1]+" "+m[2])
		if m[2] != "403" {
			t.Errorf("POST %s from another origin answered %s, want 403", m[1], m[2])
		}
	}
	if len(got) != 4 {
		t.Errorf("the devserver logged %d POSTs (%v), want the 4 the page sent", len(got), got)
	}
	if strings.Contains(p.srv.Log(), "msg=\"signed in\"") {
		t.Errorf("another origin signed the browser in:\n%s", p.srv.Log())
	}
	res, err := chromedp.Call(p.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{p.srv.URL + "/"}})
	if err != nil {
		p.fatalf("read cookies: %v", err)
	}
	for _, c := range res.Cookies {
		t.Errorf("the other origin's requests left a cookie %q", c.Name)
	}

	// Following a link to a page is fine, from the same site (another port)
	// and from another site (http://localhost is not the site of
	// http://127.0.0.1).
	p.click("#link")
	p.waitElem("the generator opened from the other origin's link", "#sub", visible)
	if err := chromedp.Do(p.ctx, chromedp.Navigate(strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/")); err != nil {
		p.fatalf("open the other site's page: %v", err)
	}
	p.waitFor("the other site's page has loaded", `window.done !== undefined`)
	p.click("#link")
	p.waitElem("the generator opened from the other origin's link", "#sub", visible)
	p.shot("followed-link")
}
