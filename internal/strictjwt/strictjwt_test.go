package strictjwt

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestCheckMembers(t *testing.T) {
	names := []string{"sub", "exp", "aud"}
	for _, tc := range []struct {
		in, want string
	}{
		{`{"sub":"a","exp":1}`, ""},
		{`{"sub":"a","SUB":"b"}`, `"SUB" differs from "sub" only in case`},
		{`{"Sub":"b"}`, `"Sub" differs from "sub"`},
		{`{"ſub":"b"}`, `differs from "sub"`},
		{`{"sub":"a","sub":"b"}`, `"sub" appears twice`},
		{`{"x":1,"x":2}`, `"x" appears twice`},
		{`{"EXP":1}`, `differs from "exp"`},
		{`{"other":{"SUB":1}}`, ""},
		{`[1]`, "not a JSON object"},
		{`{"a":`, "malformed"},
	} {
		err := CheckMembers([]byte(tc.in), names)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestCheckHeaderAndDates(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) + ".e30.sig" }
	if err := CheckHeader(enc(`{"alg":"RS256","kid":"k"}`)); err != nil {
		t.Error(err)
	}
	if err := CheckHeader(enc(`{"alg":"RS256","crit":["exp"],"exp":1}`)); err == nil || !strings.Contains(err.Error(), "crit") {
		t.Errorf("crit: %v", err)
	}
	if err := CheckHeader(enc(`{"alg":"RS256","alg":"none"}`)); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate alg: %v", err)
	}
	for in, want := range map[string]string{
		`{"exp":1739180000,"nbf":1,"iat":0}`: "",
		`{"exp":"1739180000"}`:               "exp is not a JSON number",
		`{"iat":"x"}`:                        "iat is not a JSON number",
		`{"nbf":1e300}`:                      "nbf 1e+300 is out of range",
		`{"exp":-5}`:                         "exp -5 is out of range",
		`{"exp":null}`:                       "exp is not a JSON number",
	} {
		err := CheckDates([]byte(in))
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: err = %v, want %q", in, err, want)
		}
	}
}

func FuzzCheckMembers(f *testing.F) {
	for _, s := range []string{`{"sub":"a"}`, `{"SUB":1,"sub":2}`, `{"a":{"b":1}}`, `{`, `{"k":[1,{"x":2}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = CheckMembers(data, []string{"sub", "exp"})
		_ = CheckDates(data)
		_ = CheckHeader(base64.RawURLEncoding.EncodeToString(data) + ".x.y")
	})
}
