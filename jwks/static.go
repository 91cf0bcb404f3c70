package jwks

import "slices"

// staticSource is the Source returned by Static.
type staticSource struct {
	keys []Key
}

// Static returns a Source that always publishes keys and never changes.
// The slice is copied; the keys are validated when a Handler subscribes.
func Static(keys ...Key) Source {
	return staticSource{keys: slices.Clone(keys)}
}

// Subscribe calls fn once with a copy of the keys and returns a no-op cancel.
func (s staticSource) Subscribe(fn func(keys []Key)) (cancel func()) {
	if fn == nil {
		return func() {}
	}
	fn(slices.Clone(s.keys))
	return func() {}
}
