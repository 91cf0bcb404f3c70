package jsonobj

import (
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"", "x is empty"},
		{"  \n", "x is empty"},
		{`[1]`, "x is not a JSON object (it is JSON of another kind)"},
		{`"s"`, "x is not a JSON object (it is JSON of another kind)"},
		{`nope`, "x is not a JSON object"},
		{`{"a":`, "x: truncated JSON"},
		{`{"a" 1}`, "x: malformed JSON at byte"},
		{`{"a":1} {}`, "x: trailing data after the JSON object"},
		{`{"a":1} x`, "x: trailing data after the JSON object"},
		{`{"a":"secret-value"}`, `x: member "a" is a JSON string, want a number`},
	} {
		var v struct {
			A int `json:"a"`
		}
		err := Decode([]byte(tc.in), &v, "x")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%q) = %v, want %q", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret-value") {
			t.Errorf("Decode(%q) echoes the input: %v", tc.in, err)
		}
	}
	var v struct {
		A int `json:"a"`
	}
	if err := Decode([]byte(` {"a":1} `), &v, "x"); err != nil || v.A != 1 {
		t.Errorf("Decode = %v, %+v", err, v)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"a":1}`, `[`, `{"a":"b"} {`, `{"a":{"b":[1,2]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v map[string]any
		if err := Decode(data, &v, "x"); err == nil && v == nil {
			t.Fatalf("Decode(%q) succeeded with a nil map", data)
		}
	})
}
