package issuer

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidClaims is wrapped by every error about claims Issue refuses to
// sign; the message names the field. Test for it with errors.Is.
var ErrInvalidClaims = errors.New("invalid claims")

// Limits on claim values.
const (
	// MaxSubjectLen is the longest sub accepted, in bytes.
	MaxSubjectLen = 255
	// MaxEmailLen is the longest email accepted, in bytes (RFC 5321 path limit).
	MaxEmailLen = 254
	// MaxIssuerLen is the longest iss (and aud entry) accepted, in bytes.
	MaxIssuerLen = 2048
)

// reservedExtra lists the claim names Claims.Extra may not set: the
// registered claims Issue sets itself, and email/emailVerified, which have
// their own fields (so their types are always right).
var reservedExtra = [...]string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "email", "emailVerified"}

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
	if err := checkText("email", email, MaxEmailLen, "omit it or pass an address"); err != nil {
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

// appendJSONString appends s as a JSON string literal. Like encoding/json it
// replaces invalid UTF-8 with U+FFFD and escapes U+2028 and U+2029; unlike
// it, it leaves <, > and & alone (both forms decode to the same string).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
