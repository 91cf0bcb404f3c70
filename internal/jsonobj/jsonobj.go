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
	"reflect"
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
			return fmt.Sprintf("a JSON %s where %s was expected", typ.Value, kindName(typ.Type))
		}
		return fmt.Sprintf("member %q is a JSON %s, want %s", typ.Field, typ.Value, kindName(typ.Type))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return "malformed JSON"
}

// kindName names what JSON a Go type takes, without Go's type syntax.
func kindName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return kindName(t.Elem())
	}
	return "another type"
}
