// Page behaviour of the extauth devserver: plain JS, no build step.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  function showError(msg) {
    const box = $("error");
    if (!box) return;
    box.textContent = msg || "";
    box.hidden = !msg;
  }

  // postJSON posts body as JSON and returns the decoded answer; a non-2xx
  // answer throws an Error carrying the server's "error" text.
  async function postJSON(url, body) {
    let res;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (err) {
      throw new Error("Request failed: " + ((err && err.message) || err));
    }
    let data = null;
    try {
      data = await res.json();
    } catch (_) {
      data = null;
    }
    if (!res.ok) {
      throw new Error((data && data.error) || "Request failed with HTTP " + res.status);
    }
    return data;
  }

  // base64url → UTF-8 text (atob alone fails on "-" and "_").
  function b64urlDecode(segment) {
    let s = segment.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    const bin = atob(s);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  }

  // Show numeric dates also as ISO-8601, like the demo: "1739180000 (2025-02-10T09:33:20.000Z)".
  function withDates(claims) {
    for (const k of ["iat", "exp", "nbf"]) {
      if (typeof claims[k] === "number") {
        claims[k] = claims[k] + " (" + new Date(claims[k] * 1000).toISOString() + ")";
      }
    }
    return claims;
  }

  function decodeToken(token) {
    const parts = token.split(".");
    if (parts.length !== 3) throw new Error("not a compact JWT");
    return {
      header: JSON.parse(b64urlDecode(parts[0])),
      payload: withDates(JSON.parse(b64urlDecode(parts[1]))),
    };
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (_) {
        // fall through to the old way
      }
    }
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (_) {
      ok = false;
    }
    document.body.removeChild(ta);
    return ok;
  }

  // ---- /jwt: generator ----
  // generatorBody is the request for /api/dev/jwt and /api/signin; it
  // throws an Error naming a field the server could not read.
  function generatorBody() {
    const body = {};
    const val = (id) => ($(id) ? $(id).value.trim() : "");
    if (val("sub")) body.sub = val("sub");
    if (val("email")) body.email = val("email");
    const aud = val("aud").split(/\s+/).filter(Boolean);
    if (aud.length) body.aud = aud.length === 1 ? aud[0] : aud;
    if (val("ttl")) body.ttl = Number(val("ttl"));
    if (val("claims")) {
      try {
        body.claims = JSON.parse(val("claims"));
      } catch (err) {
        throw new Error("Extra claims are not JSON: " + err.message);
      }
    }
    if (val("scope")) body.scope = val("scope");
    if (val("invalid")) body.invalid = val("invalid");
    return body;
  }

  function setupGenerator() {
    const gen = $("generate");
    const both = $("generate-signin");
    if (!gen || !both) return;
    const busy = (on) => {
      gen.disabled = on;
      both.disabled = on;
    };

    // Generate is the form's submit button, so Enter in a field generates.
    $("generator").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      showError("");
      $("token-box").hidden = true;
      busy(true);
      try {
        const data = await postJSON("/api/dev/jwt", generatorBody());
        $("token").textContent = data.token;
        const refusal = $("refusal");
        refusal.textContent = data.refusal ? "Dynamic must refuse this token: " + data.refusal + "." : "";
        refusal.hidden = !data.refusal;
        try {
          const d = decodeToken(data.token);
          $("decoded-header").textContent = JSON.stringify(d.header, null, 2);
          $("decoded-payload").textContent = JSON.stringify(d.payload, null, 2);
        } catch (err) {
          $("decoded-header").textContent = "(could not decode: " + err.message + ")";
          $("decoded-payload").textContent = "";
        }
        $("token-box").hidden = false;
      } catch (err) {
        showError(err.message);
      } finally {
        busy(false);
      }
    });

    both.addEventListener("click", async () => {
      showError("");
      busy(true);
      try {
        const data = await postJSON("/api/signin", generatorBody());
        window.location.assign((data && data.redirect) || "/dashboard");
      } catch (err) {
        showError(err.message);
        busy(false);
      }
    });

    const copy = $("copy-token");
    copy.addEventListener("click", async () => {
      const ok = await copyText($("token").textContent);
      copy.textContent = ok ? "Copied" : "Copy failed";
      setTimeout(() => {
        copy.textContent = "Copy";
      }, 2000);
    });
  }

  // ---- /jwt: setup panel ----
  async function detectNgrok(quietOnFailure) {
    const status = $("ngrok-status");
    const url = $("jwks-url");
    const note = $("jwks-url-note");
    status.textContent = "Checking ngrok…";
    status.className = "status";
    try {
      const res = await fetch("/api/dev/ngrok", { headers: { Accept: "application/json" } });
      const data = await res.json().catch(() => ({}));
      if (res.ok && data.jwksUrl) {
        status.textContent = "Detected: " + data.jwksUrl + (data.warning ? ". Careful: " + data.warning : "");
        status.className = data.warning ? "status bad" : "status ok";
        url.textContent = data.jwksUrl;
        note.textContent = "Auto-detected from ngrok";
      } else {
        status.textContent =
          "Dynamic must reach your JWKS endpoint publicly. " +
          (data.error || "Not detected") +
          (data.details ? ": " + data.details : ".") +
          " Then click Detect ngrok.";
        // With the local Dynamic, no tunnel is needed: not an error.
        status.className = quietOnFailure ? "status" : "status bad";
      }
    } catch (_) {
      status.textContent = "Failed to check ngrok";
      status.className = "status bad";
    }
  }

  function setupPanel() {
    const btn = $("detect-ngrok");
    if (!btn) return;
    const local = $("ngrok-status").dataset.local === "true";
    btn.addEventListener("click", () => detectNgrok(local));
    // The local Dynamic needs no tunnel: do not probe (and log a 503 in
    // the console) on every load; a click still detects it.
    if (!local) detectNgrok(false);
  }

  // ---- /: sign in with a pasted JWT ----
  function setupSignIn() {
    const toggle = $("jwt-section-toggle");
    const form = $("jwt-section");
    if (!toggle || !form) return;
    toggle.addEventListener("click", () => {
      form.hidden = !form.hidden;
      toggle.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) $("jwt-token").focus();
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      showError("");
      const token = $("jwt-token").value.trim();
      if (!token) {
        showError("Paste a JWT first, or generate one at /jwt.");
        return;
      }
      const btn = $("authenticate");
      btn.disabled = true;
      $("jwt-token").disabled = true;
      try {
        const data = await postJSON("/api/signin", { token: token });
        window.location.assign((data && data.redirect) || "/dashboard");
      } catch (err) {
        showError(err.message);
        btn.disabled = false;
        $("jwt-token").disabled = false;
      }
    });
  }

  // ---- /dashboard: what the backend verified (GET /api/me) ----
  async function setupVerified() {
    const dl = $("verified-claims");
    if (!dl) return;
    const rows = [];
    try {
      const res = await fetch("/api/me", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) {
        rows.push(["Status", "Not verified: " + (data.error || "HTTP " + res.status)]);
      } else {
        rows.push(["Status", "Verified"]);
        rows.push(["Dynamic user id", data.userId]);
        rows.push(["Session id", data.sessionId]);
        rows.push(["Environment", data.environmentId]);
        rows.push(["Scopes", (data.scopes || []).join(" ") + (data.mfaPending ? " (MFA pending)" : "")]);
        rows.push(["Audience (aud)", (data.audience || []).join(", ")]);
        if (data.email) rows.push(["Email", data.email]);
        rows.push(["Issued", data.issuedAt]);
        rows.push(["Expires", data.expiresAt]);
      }
    } catch (err) {
      rows.push(["Status", "Not verified: " + err.message]);
    }
    dl.replaceChildren();
    for (const [k, v] of rows) {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      dd.dataset.claim = k;
      dl.append(dt, dd);
    }
    dl.dataset.state = rows[0][1] === "Verified" ? "verified" : "failed";
  }

  function init() {
    setupVerified();
    setupGenerator();
    setupPanel();
    setupSignIn();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
