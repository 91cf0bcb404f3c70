package issuer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidClaims is wrapped by every error about claims Issue refuses to
// sign; the message names the field. Test for it with errors.Is.
var ErrInvalidClaims = errors.New("invalid claims")

// Limits on claim values, in bytes.
const (
	maxSubjectLen = 255
	maxEmailLen   = 254 // RFC 5321 path limit
	maxIssuerLen  = 2048
)

// reservedExtra lists the claim names Claims.Extra may not set: the
// registered claims Issue sets itself, and email/emailVerified, which have
// their own fields (so their types are always right).
var reservedExtra = [...]string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "email", "emailVerified"}

// checkExtra refuses Extra names that equal a reserved name under Unicode
// case folding. encoding/json (and so golang-jwt, and any Go verifier)
// matches member names that way, with "ſ" (U+017F) as "s" and "K"
// (U+212A) as "k": {"SUB":"victim"} would be read as sub.
func checkExtra(extra map[string]any) error {
	for name := range extra {
		for _, r := range reservedExtra {
			if strings.EqualFold(name, r) {
				what := "it is set by Issue or by its own Claims field"
				if name != r {
					what = fmt.Sprintf("it reads as %q to a JSON decoder that ignores case, as Go's does", r)
				}
				return fmt.Errorf("%w: Extra may not set %s: %s", ErrInvalidClaims, quoteName(name), what)
			}
		}
	}
	return nil
}

// quoteName quotes a claim name for an error, shortened when long.
func quoteName(name string) string {
	if len(name) > 64 {
		return fmt.Sprintf("%q…", name[:64])
	}
	return fmt.Sprintf("%q", name)
}

// checkSubject checks sub: text, not blank, no surrounding white space.
func checkSubject(sub string) error {
	if err := checkText("sub", sub, maxSubjectLen, "pass the user's stable ID"); err != nil {
		return err
	}
	switch t := strings.TrimFunc(sub, unicode.IsSpace); {
	case t == "":
		return fmt.Errorf("%w: sub is only white space: pass the user's stable ID", ErrInvalidClaims)
	case t != sub:
		return fmt.Errorf("%w: sub has leading or trailing white space: pass the ID exactly, without it (\" alice\" and \"alice\" would be two users)", ErrInvalidClaims)
	}
	return nil
}

func checkIssuer(iss string) error {
	if iss == "" {
		return errors.New("issuer: Config.Issuer is empty: set it to the iss value entered in Dynamic's dashboard")
	}
	if err := checkText("Config.Issuer", iss, maxIssuerLen, ""); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if strings.TrimFunc(iss, unicode.IsSpace) != iss {
		return errors.New("issuer: Config.Issuer has leading or trailing spaces: Dynamic compares iss exactly; remove them")
	}
	return nil
}

func checkAudience(field string, aud []string) error {
	for n, a := range aud {
		if err := checkText(field+"["+strconv.Itoa(n)+"]", a, maxIssuerLen, "remove the empty entry"); err != nil {
			return err
		}
	}
	return nil
}

// checkText checks a string claim: non-empty, at most max bytes, valid
// UTF-8, no control characters. It never echoes the value.
func checkText(field, v string, max int, what string) error {
	switch {
	case v == "":
		return fmt.Errorf("%w: %s is empty: %s", ErrInvalidClaims, field, what)
	case len(v) > max:
		return fmt.Errorf("%w: %s is %d bytes: at most %d are allowed", ErrInvalidClaims, field, len(v), max)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidClaims, field)
	case hasControl(v):
		return fmt.Errorf("%w: %s contains control characters: remove them", ErrInvalidClaims, field)
	}
	return nil
}

// checkEmail is a syntactic check of an addr-spec (local@domain), close to
// what net/mail.ParseAddress accepts for a bare address but without display
// names, comments, quoted local parts or domain literals, and without
// allocating. It does not check that the address exists.
func checkEmail(email string) error {
	if err := checkText("email", email, maxEmailLen, "omit it or pass an address"); err != nil {
		return err
	}
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return fmt.Errorf("%w: email has no '@': pass an address like user@example.com", ErrInvalidClaims)
	}
	local, domain := email[:at], email[at+1:]
	if !isDotAtom(local, isAtext) || len(local) > 64 {
		return fmt.Errorf("%w: email local part (before '@') is not valid: pass an address like user@example.com", ErrInvalidClaims)
	}
	if !isDotAtom(domain, isDomainChar) {
		return fmt.Errorf("%w: email domain (after '@') is not valid: pass an address like user@example.com", ErrInvalidClaims)
	}
	for label := range strings.SplitSeq(domain, ".") {
		if len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%w: email domain (after '@') is not valid: pass an address like user@example.com", ErrInvalidClaims)
		}
	}
	return nil
}

// isDotAtom reports whether s is one or more runs of ok characters
// separated by single dots.
func isDotAtom(s string, ok func(rune) bool) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if r != '.' && !ok(r) {
			return false
		}
	}
	return true
}

// isAtext is RFC 5322 atext, plus non-ASCII letters as RFC 6532 allows.
func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r >= 0x80:
		return isUnicodeLetter(r)
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// isDomainChar accepts letters, digits, hyphen, and non-ASCII (IDN) letters.
func isDomainChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
		return true
	}
	return r >= 0x80 && isUnicodeLetter(r)
}

// isUnicodeLetter accepts the printable non-ASCII characters RFC 6532
// allows, but not spaces (such as U+00A0) or U+FFFD from invalid UTF-8.
func isUnicodeLetter(r rune) bool {
	return r != utf8.RuneError && unicode.IsGraphic(r) && !unicode.IsSpace(r)
}

// hasControl reports whether s contains a C0 or C1 control character or DEL.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return true
		}
	}
	return false
}
