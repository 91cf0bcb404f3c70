package issuer

import (
	"errors"
	"strings"
	"testing"
)

// mapEnv is a getenv over a map.
func mapEnv(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func TestLoadEnvDemo(t *testing.T) {
	env := demoEnv(t) // values still in single quotes, as in .env.local
	cfgKey, cfgIss, err := LoadEnv(mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	if cfgIss != "https://demo-jwt-provider.example.com" {
		t.Errorf("Issuer = %q", cfgIss)
	}
	if cfgKey.ID() != "demo-key-1739180000000" {
		t.Errorf("kid = %q", cfgKey.ID())
	}
	// Unquoted values (as a shell export leaves them) work too.
	unq := map[string]string{}
	for k, v := range env {
		unq[k] = " " + unquote(v) + "\n"
	}
	if _, _, err := LoadEnv(mapEnv(unq)); err != nil {
		t.Error(err)
	}
}

func TestLoadEnvOptional(t *testing.T) {
	env := demoEnv(t)
	priv := env[EnvPrivateKey]
	noKID := string(edit(t, []byte(unquote(priv)), map[string]any{"kid": nil}))

	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantKID string
	}{
		{"no public key", map[string]string{EnvPrivateKey: priv, EnvIssuer: env[EnvIssuer], EnvKID: env[EnvKID]}, "demo-key-1739180000000"},
		{"no KID var: JWK kid", map[string]string{EnvPrivateKey: priv, EnvIssuer: env[EnvIssuer]}, "demo-key-1739180000000"},
		{"KID var, JWK without kid", map[string]string{EnvPrivateKey: noKID, EnvIssuer: env[EnvIssuer], EnvKID: "my-kid"}, "my-kid"},
		{"public without kid", map[string]string{EnvPrivateKey: priv, EnvIssuer: env[EnvIssuer], EnvPublicKey: string(edit(t, []byte(unquote(env[EnvPublicKey])), map[string]any{"kid": nil}))}, "demo-key-1739180000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgKey, _, err := LoadEnv(mapEnv(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if cfgKey.ID() != tc.wantKID {
				t.Errorf("kid = %q, want %q", cfgKey.ID(), tc.wantKID)
			}
		})
	}
	// Neither a KID variable nor a JWK kid: the thumbprint.
	cfgKey, _, err := LoadEnv(mapEnv(map[string]string{EnvPrivateKey: noKID, EnvIssuer: "iss"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := testKeys(t)[0].pub; !cfgKey.pub.Equal(want) || len(cfgKey.ID()) != 43 {
		t.Errorf("kid = %q, want a thumbprint", cfgKey.ID())
	}
}

func TestLoadEnvErrors(t *testing.T) {
	env := demoEnv(t)
	other := string(readFixture(t, "other.jwk.json"))
	with := func(changes map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range env {
			m[k] = v
		}
		for k, v := range changes {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"nothing set", map[string]string{}, []string{"is set", "keygen"}},
		{"only quotes", map[string]string{EnvKID: "''"}, []string{"is set", "keygen"}},
		{"no private key", with(map[string]string{EnvPrivateKey: ""}), []string{"JWT_PROVIDER_PRIVATE_KEY is not set: generate a key pair"}},
		{"no issuer", with(map[string]string{EnvIssuer: ""}), []string{"JWT_PROVIDER_ISSUER is not set", "dashboard"}},
		{"issuer with control", with(map[string]string{EnvIssuer: "https://x\x01"}), []string{EnvIssuer, "control"}},
		{"private is public", with(map[string]string{EnvPrivateKey: env[EnvPublicKey]}), []string{EnvPrivateKey, "public JWK", "keygen"}},
		{"private not json", with(map[string]string{EnvPrivateKey: "'{\"kty\":\"RSA\",'"}), []string{EnvPrivateKey, "truncated JSON"}},
		{"pem of another key", with(map[string]string{EnvPrivateKey: string(readFixture(t, "pkcs8.pem"))}), []string{EnvPublicKey, "does not match"}},
		{"short pem", map[string]string{EnvPrivateKey: string(readFixture(t, "short-1024.pem")), EnvIssuer: "https://x"}, []string{EnvPrivateKey, "too short"}},
		{"kid mismatch", with(map[string]string{EnvKID: "demo-key-1"}), []string{EnvKID, `"demo-key-1"`, "demo-key-1739180000000", "make them equal"}},
		{"bad kid var", with(map[string]string{EnvKID: "a\x07b"}), []string{EnvKID, "control"}},
		{"public mismatch", with(map[string]string{EnvPublicKey: string(edit(t, []byte(other), map[string]any{"d": nil, "p": nil, "q": nil, "dp": nil, "dq": nil, "qi": nil, "kid": "demo-key-1739180000000"}))}), []string{EnvPublicKey, "does not match", EnvPrivateKey}},
		{"public kid mismatch", with(map[string]string{EnvPublicKey: string(edit(t, []byte(unquote(env[EnvPublicKey])), map[string]any{"kid": "stale"}))}), []string{EnvPublicKey, `"stale"`}},
		{"public holds private", with(map[string]string{EnvPublicKey: env[EnvPrivateKey]}), []string{EnvPublicKey, "private members"}},
		{"public garbage", with(map[string]string{EnvPublicKey: "'nope'"}), []string{EnvPublicKey, "not a JSON object"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := LoadEnv(mapEnv(tc.env))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to contain %q", err, w)
				}
			}
			if notSet := errors.Is(err, ErrEnvNotSet); notSet != strings.HasPrefix(tc.name, "nothing") && notSet != strings.HasPrefix(tc.name, "only") {
				t.Errorf("errors.Is(err, ErrEnvNotSet) = %v", notSet)
			}
		})
	}
}

func TestLoadEnvOSDefault(t *testing.T) {
	for _, name := range []string{EnvKID, EnvIssuer, EnvPublicKey, EnvPrivateKey} {
		t.Setenv(name, "")
	}
	if _, _, err := LoadEnv(nil); !errors.Is(err, ErrEnvNotSet) {
		t.Errorf("err = %v, want ErrEnvNotSet", err)
	}
	for k, v := range demoEnv(t) {
		t.Setenv(k, v)
	}
	if _, _, err := LoadEnv(nil); err != nil {
		t.Error(err)
	}
}

// TestLoadEnvPEM: companies keep PEM keys; JWT_PROVIDER_PRIVATE_KEY takes
// one as it is, or on one line with \n escapes, as env files write it.
func TestLoadEnvPEM(t *testing.T) {
	pemKey := string(readFixture(t, "pkcs8.pem"))
	for name, v := range map[string]string{
		"multi-line":    pemKey,
		"one line":      strings.ReplaceAll(strings.TrimSpace(pemKey), "\n", `\n`),
		"single-quoted": "'" + pemKey + "'",
	} {
		key, iss, err := LoadEnv(mapEnv(map[string]string{EnvPrivateKey: v, EnvIssuer: "https://x", EnvKID: "pem-1"}))
		if err != nil || key.ID() != "pem-1" || iss != "https://x" {
			t.Errorf("%s: %v, %v, %v", name, key, iss, err)
		}
	}
}
