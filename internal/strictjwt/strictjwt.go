// Package strictjwt holds the checks that make extauth's JWT verifiers at
// least as strict as a strict JOSE implementation where golang-jwt is
// lenient: member names that Go's case-insensitive JSON decoding would
// confuse, duplicate members, "crit" headers, and numeric dates given as
// strings or out of range. The dynamic package's verifiers share them.
package strictjwt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MaxTokenBytes is the longest compact JWS the verifiers parse.
const MaxTokenBytes = 16 << 10

// CheckMembers refuses a JSON object with duplicate member names, or with
// a member whose name equals one of names under Unicode case folding
// without being it: encoding/json would read {"SUB":"x"} as sub, while a
// strict verifier reads it as another claim. names are the members the
// caller decodes into a struct.
func CheckMembers(obj []byte, names []string) error {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	seen := make(map[string]struct{}, 16)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return errors.New("malformed JSON")
		}
		name, _ := t.(string)
		if _, dup := seen[name]; dup {
			return fmt.Errorf("member %s appears twice", quote(name))
		}
		seen[name] = struct{}{}
		for _, n := range names {
			if name != n && strings.EqualFold(name, n) {
				return fmt.Errorf("member %s differs from %q only in case: a verifier that ignores case would read it as %q", quote(name), n, n)
			}
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return errors.New("malformed JSON")
		}
	}
	return nil
}

// CheckHeader decodes a compact JWS's protected header and refuses
// duplicate members and a "crit" member: RFC 7515 §4.1.11 requires a
// verifier to refuse critical extensions it does not understand, and these
// verifiers understand none. Other problems are left to the JWT parser.
func CheckHeader(token string) error {
	seg, _, ok := strings.Cut(token, ".")
	if !ok {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil
	}
	if err := CheckMembers(raw, nil); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	var h map[string]json.RawMessage
	if json.Unmarshal(raw, &h) == nil {
		if _, ok := h["crit"]; ok {
			return errors.New(`header has "crit": no critical extension is understood here`)
		}
	}
	return nil
}

// maxDate bounds a numeric date: 1e11 seconds is the year 5138. Larger
// values overflow time conversions (nbf 1e300 would land in the past).
const maxDate = 1e11

// CheckDates refuses exp, nbf and iat members that are not JSON numbers
// (golang-jwt accepts "123" as a string) or lie outside 0..1e11 seconds.
func CheckDates(obj []byte) error {
	var d struct {
		Exp json.RawMessage `json:"exp"`
		Nbf json.RawMessage `json:"nbf"`
		Iat json.RawMessage `json:"iat"`
	}
	if err := json.Unmarshal(obj, &d); err != nil {
		return errors.New("malformed JSON")
	}
	for _, m := range []struct {
		name string
		raw  json.RawMessage
	}{{"exp", d.Exp}, {"nbf", d.Nbf}, {"iat", d.Iat}} {
		if m.raw == nil {
			continue
		}
		var f float64
		if len(m.raw) == 0 || (m.raw[0] != '-' && (m.raw[0] < '0' || m.raw[0] > '9')) || json.Unmarshal(m.raw, &f) != nil {
			return fmt.Errorf("%s is not a JSON number of seconds", m.name)
		}
		if f < 0 || f > maxDate {
			return fmt.Errorf("%s %g is out of range: want seconds since 1970, below 1e11", m.name, f)
		}
	}
	return nil
}

func quote(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%q…", s[:64])
	}
	return fmt.Sprintf("%q", s)
}
