package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// frontendPage is a front-end of the user's own, on another local origin,
// that signs in against the local Dynamic with the same requests the
// official JS SDK makes (apiBaseUrl pointed at the devserver): the
// settings, a nonce batch, then externalAuth/signin with the SDK's headers
// and a device signature made with WebCrypto (P-256, SHA-256, raw r||s, the
// compressed public key in hex).
const frontendPage = `<!doctype html><html><head><title>my front-end</title></head><body><script>
const api = %[1]q, env = %[2]q, token = %[3]q;
const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
const rid = () => Array.from(crypto.getRandomValues(new Uint8Array(25)), (b) => b.toString(16).padStart(2, "0")).join("");
async function run() {
	const common = {"x-dyn-version": "ClientSDK/1.27.1", "x-dyn-api-version": "API/0.0.1125", "x-dynamic-platform": "web", "x-dyn-session-id": "e2efrontendsession00000000000000"};
	const settings = await fetch(api + "/sdk/" + env + "/settings?sdkVersion=ClientSDK%%2F1.27.1", {headers: {...common, "x-dyn-request-id": rid()}});
	if (!settings.ok) throw new Error("settings " + settings.status);
	const nres = await fetch(api + "/sdk/" + env + "/nonces?count=5", {headers: {...common, "x-dyn-request-id": rid()}});
	const nonces = (await nres.json()).nonces;
	const key = await crypto.subtle.generateKey({name: "ECDSA", namedCurve: "P-256"}, true, ["sign"]);
	const raw = new Uint8Array(await crypto.subtle.exportKey("raw", key.publicKey));
	const compressed = new Uint8Array(33);
	compressed[0] = 2 | (raw[64] & 1);
	compressed.set(raw.slice(1, 33), 1);
	const sig = await crypto.subtle.sign({name: "ECDSA", hash: "SHA-256"}, key.privateKey, new TextEncoder().encode(nonces[0]));
	const res = await fetch(api + "/sdk/" + env + "/externalAuth/signin", {
		method: "POST",
		headers: {...common, "x-dyn-request-id": rid(), "Content-Type": "application/json",
			"x-dynamic-device-nonce": nonces[0], "x-dynamic-device-publickey": hex(compressed), "x-dynamic-device-signed-nonce": hex(sig)},
		body: JSON.stringify({jwt: token}),
	});
	const body = await res.json();
	if (!res.ok) throw new Error("signin " + res.status + ": " + (body.error || ""));
	return "signed in " + body.user.verifiedCredentials.find((c) => c.format === "externalUser").public_identifier;
}
run().then((r) => { window.done = r; }, (e) => { window.done = "error: " + e.message; });
</script></body></html>`

// TestFrontendAgainstLocalDynamic (issue 12): a page of a listed local
// origin signs in against the local Dynamic with the SDK's requests; the
// same page from an origin not listed is refused.
func TestFrontendAgainstLocalDynamic(t *testing.T) {
	var page string
	frontend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(frontend.Close)
	p := setup(t, "-local-dynamic-origins="+frontend.URL)
	token := p.srv.mint(p.ctx, t, "frontend-user", "")
	page = fmt.Sprintf(frontendPage, p.srv.URL+"/local-dynamic/api/v0", "2762a57b-faa4-41ce-9f16-abff9300e2c9", token)

	if err := chromedp.Do(p.ctx, chromedp.Navigate(frontend.URL+"/")); err != nil {
		p.fatalf("open the front-end: %v", err)
	}
	p.waitFor("the front-end signed in", `window.done !== undefined`)
	done, err := chromedp.Run(p.ctx, chromedp.Evaluate[string]("window.done"))
	if err != nil || done != "signed in frontend-user" {
		t.Fatalf("front-end: %q, %v\n%s", done, err, p.srv.Log())
	}
	p.shot("frontend-signed-in")

	// The same page from another origin (localhost is another origin than
	// 127.0.0.1) is not listed: the browser gets no CORS answer.
	other := strings.Replace(frontend.URL, "127.0.0.1", "localhost", 1)
	if err := chromedp.Do(p.ctx, chromedp.Navigate(other+"/")); err != nil {
		p.fatalf("open the unlisted front-end: %v", err)
	}
	p.waitFor("the unlisted front-end finished", `window.done !== undefined`)
	done, _ = chromedp.Run(p.ctx, chromedp.Evaluate[string]("window.done"))
	if !strings.HasPrefix(done, "error:") {
		t.Errorf("an unlisted origin got through: %q", done)
	}
	if !strings.Contains(p.srv.Log(), "status=403") {
		t.Errorf("the devserver did not refuse the unlisted origin:\n%s", p.srv.Log())
	}
}
