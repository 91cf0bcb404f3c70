// Package jsonobj decodes JSON objects that come from outside (JWKs, API
// answers, request bodies) with errors that describe the input but never
// repeat it, since it may hold key material or tokens.
package jsonobj

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Decode decodes data, which must hold exactly one JSON object, into v.
// what names the input in errors ("private JWK", "GET settings answer").
func Decode(data []byte, v any, what string) error {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return fmt.Errorf("%s is empty", what)
	case data[0] != '{':
		if json.Valid(data) {
			return fmt.Errorf("%s is not a JSON object (it is JSON of another kind)", what)
		}
		return fmt.Errorf("%s is not a JSON object", what)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %s", what, describe(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%s: trailing data after the JSON object", what)
	}
	return nil
}

// describe says what is wrong with the JSON without quoting it.
func describe(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("a JSON %s where %s was expected", typ.Value, typ.Type)
		}
		return fmt.Sprintf("member %q is a JSON %s, want %s", typ.Field, typ.Value, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return "malformed JSON"
}
