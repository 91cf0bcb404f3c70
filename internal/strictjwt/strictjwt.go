// Package strictjwt holds the checks that make extauth's JWT verifiers at
// least as strict as a strict JOSE implementation where golang-jwt is
// lenient: member names that Go's case-insensitive JSON decoding would
// confuse, duplicate members, "crit" headers, and numeric dates given as
// strings or out of range. The dynamic package's verifiers share them.
//
// CheckToken scans the header and payload once each, without allocating
// for ordinary tokens, before golang-jwt decodes them: on a warm key cache
// the checks cost a few percent of an RS256 verification.
package strictjwt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxTokenBytes is the longest compact JWS the verifiers parse.
const MaxTokenBytes = 16 << 10

// maxDate bounds a numeric date: 1e11 seconds is the year 5138. Larger
// values overflow time conversions (nbf 1e300 would land in the past).
const maxDate = 1e11

// errMalformed is reported for JSON the scanner cannot read; golang-jwt
// would refuse it too.
var errMalformed = errors.New("malformed JSON")

// CheckToken checks a compact JWS's header and payload: no member twice,
// no "crit" header (RFC 7515 §4.1.11: a verifier must refuse critical
// extensions it does not understand, and these understand none), no
// payload member that equals one of names under Unicode case folding
// without being it (encoding/json would read {"SUB":"x"} as sub, a strict
// verifier as another claim), and exp, nbf and iat, when present, JSON
// numbers of seconds in 0..1e11. A token that is not three base64url
// segments is left to the JWT parser.
func CheckToken(token string, names []string) error {
	h, rest, ok := strings.Cut(token, ".")
	p, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return nil
	}
	var buf [4096]byte // ordinary tokens decode without allocating
	hb, ok := decode(buf[:], h)
	if !ok {
		return nil
	}
	if err := scan(hb, nil, true); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	pb, ok := decode(buf[:], p)
	if !ok {
		return nil
	}
	return scan(pb, names, false)
}

// decode decodes the base64url segment seg into buf when it fits, else
// into a new slice.
func decode(buf []byte, seg string) ([]byte, bool) {
	enc := base64.RawURLEncoding
	if n := enc.DecodedLen(len(seg)); n > len(buf) {
		buf = make([]byte, n)
	}
	n, err := enc.Decode(buf, []byte(seg))
	return buf[:n], err == nil
}

// CheckMembers applies CheckToken's member rules to one JSON object.
func CheckMembers(obj []byte, names []string) error { return scan(obj, names, false) }

// scan reads the top-level members of the JSON object b and applies the
// rules; header selects the header's (crit) rather than the payload's
// (case folding, dates).
func scan(b []byte, names []string, header bool) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errors.New("not a JSON object")
	}
	var seenBuf [24][]byte
	seen := seenBuf[:0]
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return trailing(b, i+1)
	}
	for {
		name, end, err := member(b, i, names, header)
		if err != nil {
			return err
		}
		for _, s := range seen {
			if bytes.Equal(s, name) {
				return fmt.Errorf("member %s appears twice", quote(string(name)))
			}
		}
		seen = append(seen, name)
		i = skipSpace(b, end)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return trailing(b, i+1)
		default:
			return errMalformed
		}
	}
}

// member reads the member at b[i] (name, colon, value), applies the name
// and date rules, and returns the name and the index after the value.
func member(b []byte, i int, names []string, header bool) ([]byte, int, error) {
	name, next, err := readName(b, i)
	if err != nil {
		return nil, 0, err
	}
	if err := checkName(name, names, header); err != nil {
		return nil, 0, err
	}
	i = skipSpace(b, next)
	if i >= len(b) || b[i] != ':' {
		return nil, 0, errMalformed
	}
	start := skipSpace(b, i+1)
	end, err := skipValue(b, start)
	if err != nil {
		return nil, 0, err
	}
	if !header {
		if err := checkDate(name, b[start:end]); err != nil {
			return nil, 0, err
		}
	}
	return name, end, nil
}

func trailing(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return errMalformed
	}
	return nil
}

// checkName applies the name rules.
func checkName(name []byte, names []string, header bool) error {
	if header {
		if string(name) == "crit" {
			return errors.New(`header has "crit": no critical extension is understood here`)
		}
		return nil
	}
	ascii := isASCII(name)
	for _, n := range names {
		// An ASCII name folds only to a name of its own length (the
		// non-ASCII folds, ſ to s and K to k, change the length).
		if ascii && len(n) != len(name) {
			continue
		}
		if string(name) != n && bytes.EqualFold(name, []byte(n)) {
			return fmt.Errorf("member %s differs from %q only in case: a verifier that ignores case would read it as %q", quote(string(name)), n, n)
		}
	}
	return nil
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// checkDate checks the value of exp, nbf or iat.
func checkDate(nameBytes []byte, v []byte) error {
	name := ""
	switch string(nameBytes) {
	case "exp", "nbf", "iat":
		name = string(nameBytes)
	default:
		return nil
	}
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return fmt.Errorf("%s is not a JSON number of seconds", name)
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return fmt.Errorf("%s is not a JSON number of seconds", name)
	}
	if f < 0 || f > maxDate {
		return fmt.Errorf("%s %g is out of range: want seconds since 1970, below 1e11", name, f)
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// readName reads the member name string at b[i]; an escaped name is
// decoded as encoding/json decodes it ("\u0053UB" is "SUB").
func readName(b []byte, i int) ([]byte, int, error) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, errMalformed
	}
	end, escaped, err := stringEnd(b, i)
	if err != nil {
		return nil, 0, err
	}
	if !escaped {
		return b[i+1 : end-1], end, nil
	}
	var s string
	if json.Unmarshal(b[i:end], &s) != nil {
		return nil, 0, errMalformed
	}
	return []byte(s), end, nil
}

// stringEnd returns the index after the string starting at b[i] (a quote).
func stringEnd(b []byte, i int) (end int, escaped bool, err error) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '\\':
			escaped = true
			j++
		case c == '"':
			return j + 1, escaped, nil
		case c < 0x20:
			return 0, false, errMalformed
		}
	}
	return 0, false, errMalformed
}

// skipValue returns the index after the JSON value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errMalformed
	}
	switch b[i] {
	case '"':
		end, _, err := stringEnd(b, i)
		return end, err
	case '{', '[':
		return skipNested(b, i)
	}
	j := i
	for j < len(b) && !isDelimiter(b[j]) {
		j++
	}
	if j == i {
		return 0, errMalformed
	}
	return j, nil
}

// isDelimiter reports whether c ends a number or literal.
func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// skipNested returns the index after the object or array at b[i].
func skipNested(b []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			end, _, err := stringEnd(b, j)
			if err != nil {
				return 0, err
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, errMalformed
}

func quote(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%q…", s[:64])
	}
	return fmt.Sprintf("%q", s)
}
