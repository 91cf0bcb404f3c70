package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/jwks"
)

// keygenHeader is the comment keygen -write puts above the four variables
// when it appends them to a file.
const keygenHeader = "# External JWT auth (written by the extauth devserver's keygen)"

// envOrder is the order of the four variables, as the demo prints them.
var envOrder = []string{issuer.EnvKID, issuer.EnvIssuer, issuer.EnvPublicKey, issuer.EnvPrivateKey}

// cmdKeygen prints a new key's four assignments on stdout (prose goes to
// stderr, so `keygen > .env.local` works), or with -write updates those
// lines in a .env file, keeping its issuer unless -issuer is given.
func cmdKeygen(args []string, sys *sysEnv) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	iss := fs.String("issuer", "", "JWT_PROVIDER_ISSUER value (default: the file's current one with -write, else "+defaultIssuer+")")
	kid := fs.String("kid", "", "key id (default demo-key-<unix milliseconds>, like the demo)")
	bits := fs.Int("bits", 2048, "RSA key size in bits, at least 2048")
	write := fs.String("write", "", "update the JWT_PROVIDER_* lines of this .env file (e.g. .env.local) instead of printing them; other lines are kept")
	if err := parseFlags(fs, args, sys); err != nil {
		return err
	}
	if *kid == "" {
		*kid = "demo-key-" + strconv.FormatInt(time.Now().UnixMilli(), 10)
	}
	for name, v := range map[string]string{"-issuer": *iss, "-kid": *kid} {
		if strings.ContainsAny(v, "'\"\n\r\\ #") || (name == "-kid" && v == "") {
			return fmt.Errorf("%s %q: must be non-empty without quotes, spaces, # or backslashes, so the .env line needs no escaping", name, v)
		}
	}
	if *write == "" {
		vals, err := newKeyEnv(cmp.Or(*iss, defaultIssuer), *kid, *bits)
		if err != nil {
			return err
		}
		fmt.Fprintln(sys.stderr, "Generated an RSA key pair. Add these lines to your .env.local (or run keygen -write .env.local):")
		for _, k := range envOrder {
			fmt.Fprintf(sys.stdout, "%s=%s\n", k, vals[k])
		}
		return nil
	}
	path := *write
	if !filepath.IsAbs(path) {
		path = filepath.Join(sys.dir, path)
	}
	old, err := readEnvFile(path)
	if err != nil {
		return err
	}
	current, _ := parseDotenv(old)
	newIss := cmp.Or(*iss, current[issuer.EnvIssuer], defaultIssuer)
	vals, err := newKeyEnv(newIss, *kid, *bits)
	if err != nil {
		return err
	}
	if err := writeKeyEnv(path, old, vals); err != nil {
		return err
	}
	if was := current[issuer.EnvIssuer]; was != "" && was != newIss {
		fmt.Fprintf(sys.stderr, "%s changed %s -> %s: enter the new value as iss in Dynamic's dashboard\n", issuer.EnvIssuer, was, newIss)
	}
	fmt.Fprintf(sys.stdout, "Wrote %s to %s (kid %s, iss %s, mode 0600). Restart the devserver to use the new key.\n", strings.Join(envOrder, ", "), *write, *kid, newIss)
	return nil
}

// newKeyEnv generates a key and returns the four variables' values, the
// JSON ones single-quoted like the demo.
func newKeyEnv(iss, kid string, bits int) (map[string]string, error) {
	if bits < 2048 {
		return nil, fmt.Errorf("-bits %d: RSA keys must have at least 2048 bits", bits)
	}
	if bits > 8192 {
		return nil, fmt.Errorf("-bits %d: more than 8192 bits only makes every signature slow; use 2048, 3072 or 4096", bits)
	}
	key, err := issuer.GenerateKey(bits, kid)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	pub, err := json.Marshal(key.Public())
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	priv, err := key.MarshalPrivateJWK()
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return map[string]string{
		issuer.EnvKID:        kid,
		issuer.EnvIssuer:     iss,
		issuer.EnvPublicKey:  "'" + string(pub) + "'",
		issuer.EnvPrivateKey: "'" + string(priv) + "'",
	}, nil
}

// readEnvFile reads the .env file keygen -write updates; a missing file is
// empty. A symbolic link is refused: the file is replaced with one holding
// the private key, which must not land wherever a link points.
func readEnvFile(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, fmt.Errorf("%s is a symbolic link: keygen -write replaces the file with one holding a private key, and will not follow a link to wherever it points; write to the link's target explicitly, or remove the link", path)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// writeKeyEnv replaces the four lines in path (old is its content),
// atomically and with mode 0600. It refuses when the result would not read
// back as written: an unterminated quote earlier in the file would swallow
// the new lines.
func writeKeyEnv(path string, old []byte, vals map[string]string) error {
	updated := updateDotenv(old, keygenHeader, envOrder, vals)
	got, _ := parseDotenv(updated)
	for _, k := range envOrder {
		if got[k] != strings.Trim(vals[k], "'") {
			// The problem is in the old content (the new lines are well
			// formed): its warnings name the line.
			_, warnings := parseDotenv(old)
			return fmt.Errorf("%s cannot be updated safely: %s would not read back as written (%s): fix the file first", path, k, cmp.Or(strings.Join(warnings, "; "), "an earlier quoted value swallows the new lines"))
		}
	}
	return writeFileAtomic(path, updated, 0o600)
}

// cmdJWKS prints the JWKS the server would publish.
func cmdJWKS(args []string, sys *sysEnv) error {
	var fv flagVals
	fs := flag.NewFlagSet("jwks", flag.ContinueOnError)
	fs.StringVar(&fv.stateDir, "state-dir", "", "directory holding key.json (env "+envStateDir+"; default "+defaultStateDir+")")
	fs.BoolVar(&fv.noDotenv, "no-dotenv", false, "do not read .env.local and .env from the working directory")
	if err := parseFlags(fs, args, sys); err != nil {
		return err
	}
	cfg, err := resolveConfig(&fv, sys.getenv, sys.dir)
	if err != nil {
		return err
	}
	// Printing must not create a key as a side effect.
	ks, err := loadExistingKey(cfg)
	if err != nil {
		return err
	}
	body, err := jwks.Marshal([]jwks.Key{ks.Key.Public()})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(sys.stdout, "%s\n", body)
	return err
}
