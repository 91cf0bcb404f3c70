package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// defaultTestTimeout bounds each test when E2E_TIMEOUT is not set.
const defaultTestTimeout = 90 * time.Second

// chromiumPath finds the browser: E2E_CHROMIUM, then Debian's
// /usr/bin/chromium, then chromium on the PATH. Without one the test skips, or
// fails when CI is set (CI must never pass by skipping).
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("E2E_CHROMIUM"), "/usr/bin/chromium"}
	if p, err := exec.LookPath("chromium"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	const msg = "chromium is not installed: run `apt-get install -y chromium` (Debian) or set E2E_CHROMIUM to the browser binary"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set, so this is a failure, not a skip)")
	}
	t.Skip(msg + " (skipping because CI is not set)")
	return ""
}

// testTimeout is the bound of one test: E2E_TIMEOUT or defaultTestTimeout.
func testTimeout(t *testing.T) time.Duration {
	t.Helper()
	v := os.Getenv("E2E_TIMEOUT")
	if v == "" {
		return defaultTestTimeout
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("E2E_TIMEOUT=%q: want a positive Go duration such as 90s", v)
	}
	return d
}

// artifactRoot is E2E_ARTIFACTS, or e2e-artifacts/ at the root of the
// repository (three levels up from this package).
func artifactRoot(t *testing.T) string {
	t.Helper()
	if v := os.Getenv("E2E_ARTIFACTS"); v != "" {
		return v
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "e2e-artifacts")
}

// artifactDir is the directory of the screenshots and logs of this test.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(artifactRoot(t), filepath.FromSlash(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("make the artifact directory: %v", err)
	}
	return dir
}

// page is one browser tab on one devserver, with the helpers the tests use.
type page struct {
	t   *testing.T
	srv *devserver
	// ctx runs the actions of the test; it ends at the test's deadline.
	ctx context.Context
	// browserCtx lives until the cleanup, so that a failure screenshot can
	// still be taken after ctx has timed out.
	browserCtx context.Context

	step int

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// setup checks for the browser, starts a devserver with args, and opens a
// headless chromium on a fresh profile. Everything stops when the test ends.
func setup(t *testing.T, args ...string) *page {
	t.Helper()
	chromium := chromiumPath(t)
	timeout := testTimeout(t)
	// Fresh artifacts for this test.
	if err := os.RemoveAll(filepath.Join(artifactRoot(t), filepath.FromSlash(t.Name()))); err != nil {
		t.Fatalf("clear old artifacts: %v", err)
	}
	srv := startDevserver(t, args...)

	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	p := &page{t: t, srv: srv, browserCtx: browserCtx}

	// Console starts the browser and subscribes before the first page, so
	// no uncaught exception of a page is lost.
	startCtx, cancelStart := context.WithTimeout(browserCtx, timeout)
	messages := chromedp.Console(browserCtx)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m)
			p.mu.Unlock()
		}
	}()
	if _, err := chromedp.Run(startCtx, chromedp.Title()); err != nil {
		cancelStart()
		cancelBrowser()
		cancelAlloc()
		<-consoleDone
		t.Fatalf("start chromium (%s): %v", chromium, err)
	}
	cancelStart()

	ctx, cancelTest := context.WithTimeout(browserCtx, timeout)
	p.ctx = ctx
	// The profile directory (t.TempDir above) is removed after this runs,
	// so the browser has exited by then.
	t.Cleanup(func() {
		if t.Failed() {
			p.failureShot()
		}
		cancelTest()
		cancelBrowser()
		cancelAlloc()
		<-consoleDone
		p.reportConsole()
	})
	return p
}

// reportConsole logs what the pages wrote to the console and fails the test
// on an uncaught exception: the pages must run without script errors.
func (p *page) reportConsole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var lines []string
	for _, m := range p.console {
		lines = append(lines, m.String())
		if m.IsException() {
			p.t.Errorf("uncaught exception in a page: %s (%s:%d)", m.Text, m.URL, m.Line+1)
		}
	}
	if len(lines) > 0 {
		text := strings.Join(lines, "\n") + "\n"
		_ = os.WriteFile(filepath.Join(artifactDir(p.t), "console.log"), []byte(text), 0o644)
		p.t.Logf("browser console:\n%s", text)
	}
}

// open navigates to the path of the devserver and waits for the load event.
func (p *page) open(path string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Navigate(p.srv.URL+path)); err != nil {
		p.fatalf("open %s: %v", path, err)
	}
}

// shot saves a full-page PNG screenshot as the next numbered artifact.
func (p *page) shot(name string) {
	p.t.Helper()
	p.step++
	var buf []byte
	var err error
	// A page in the middle of a navigation has no size for a moment.
	for try := 0; try < 20; try++ {
		if buf, err = chromedp.Run(p.ctx, chromedp.FullScreenshot(100)); err == nil || p.ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(artifactDir(p.t), fmt.Sprintf("%02d-%s.png", p.step, name))
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Errorf("save screenshot: %v", err)
	}
}

// failureShot saves what the page showed when the test failed, with a
// context of its own because the test's context may have timed out.
func (p *page) failureShot() {
	ctx, cancel := context.WithTimeout(p.browserCtx, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("failure screenshot: %v", err)
		return
	}
	path := filepath.Join(artifactDir(p.t), "failure.png")
	if err := os.WriteFile(path, buf, 0o644); err == nil {
		p.t.Logf("failure screenshot: %s", path)
	}
}

// fatalf ends the test with the message and where the page was.
func (p *page) fatalf(format string, args ...any) {
	p.t.Helper()
	loc, _ := chromedp.Run(p.ctx, chromedp.Location())
	p.t.Fatalf(format+" (page: %s)", append(args, loc)...)
}

// elem is what the tests read about one element.
type elem struct {
	Found    bool   `json:"found"`
	Visible  bool   `json:"visible"`
	Disabled bool   `json:"disabled"`
	Tag      string `json:"tag"`
	Text     string `json:"text"`  // innerText (what a person reads)
	Value    string `json:"value"` // value of an input or textarea
}

// elemJS reads an elem for the CSS selector passed as the first argument.
const elemJS = `(sel) => {
	const e = document.querySelector(sel);
	if (!e) return {found: false, visible: false, disabled: false, tag: "", text: "", value: ""};
	const st = getComputedStyle(e);
	const visible = !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length) &&
		st.visibility !== "hidden" && !e.closest("[hidden]");
	return {found: true, visible, disabled: !!e.disabled, tag: e.tagName.toLowerCase(),
		text: (e.innerText || e.textContent || "").trim(), value: typeof e.value === "string" ? e.value : ""};
}`

// get reads the element that matches the CSS selector, without waiting.
func (p *page) get(sel string) elem {
	p.t.Helper()
	e, err := p.tryGet(p.ctx, sel)
	if err != nil {
		p.fatalf("read %s: %v", sel, err)
	}
	return e
}

func (p *page) tryGet(ctx context.Context, sel string) (elem, error) {
	arg, err := json.Marshal(sel)
	if err != nil {
		return elem{}, err
	}
	return chromedp.Run(ctx, chromedp.Evaluate[elem]("("+elemJS+")("+string(arg)+")"))
}

// waitFor polls the predicate (a JavaScript expression) until it is true. It
// survives navigations, so it can wait for a page that a click loads.
func (p *page) waitFor(what, predicate string) {
	p.t.Helper()
	var last error
	for {
		ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool]("!!("+predicate+")"))
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		select {
		case <-p.ctx.Done():
			p.failureShot()
			p.t.Fatalf("timed out waiting until %s (last error: %v)", what, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitElem waits until the element exists and the check accepts it, and
// returns it.
func (p *page) waitElem(what, sel string, check func(elem) bool) elem {
	p.t.Helper()
	var last elem
	var lastErr error
	for {
		e, err := p.tryGet(p.ctx, sel)
		if err == nil {
			last = e
			if e.Found && check(e) {
				return e
			}
		} else {
			lastErr = err
		}
		select {
		case <-p.ctx.Done():
			p.failureShot()
			p.t.Fatalf("timed out waiting until %s; %s is %+v (last error: %v)", what, sel, last, lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// visible is a check for waitElem.
func visible(e elem) bool { return e.Visible }

// click clicks the element like a person: it scrolls it into view and sends
// the mouse events to its center.
func (p *page) click(sel string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		p.fatalf("click %s: %v", sel, err)
	}
}

// typeInto replaces the text of an input with text, typed key by key.
func (p *page) typeInto(sel, text string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx,
		chromedp.Clear(chromedp.CSS(sel)),
		chromedp.SendKeys(chromedp.CSS(sel), text),
	); err != nil {
		p.fatalf("type into %s: %v", sel, err)
	}
}

// paste focuses the field and inserts text at once, as a paste does: the page
// sees one input event with the whole text.
func (p *page) paste(sel, text string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Focus(chromedp.CSS(sel))); err != nil {
		p.fatalf("focus %s: %v", sel, err)
	}
	if _, err := chromedp.Call(p.ctx, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		p.fatalf("paste into %s: %v", sel, err)
	}
}

// path returns location.pathname of the page.
func (p *page) path() string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string]("location.pathname"))
	if err != nil {
		p.fatalf("read location: %v", err)
	}
	return v
}
