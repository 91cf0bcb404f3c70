package jwks

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"sync"
	"testing"
)

// testKeyCount real RSA keys are generated once per test binary and shared:
// 2048-bit generation is slow on a shared machine, and the tests only need a
// few distinct real keys.
const testKeyCount = 8

var testKeyCache struct {
	once sync.Once
	keys []*rsa.PrivateKey
	err  error
}

// testPrivateKeys returns testKeyCount real 2048-bit RSA keys.
func testPrivateKeys(tb testing.TB) []*rsa.PrivateKey {
	tb.Helper()
	testKeyCache.once.Do(func() {
		for range testKeyCount {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				testKeyCache.err = err
				return
			}
			testKeyCache.keys = append(testKeyCache.keys, k)
		}
	})
	if testKeyCache.err != nil {
		tb.Fatalf("generating test keys: %v", testKeyCache.err)
	}
	return testKeyCache.keys
}

// testKeys returns n (≤ testKeyCount) public Keys with IDs "k0", "k1", ….
func testKeys(tb testing.TB, n int) []Key {
	tb.Helper()
	priv := testPrivateKeys(tb)
	if n > len(priv) {
		tb.Fatalf("testKeys: %d keys asked, %d available", n, len(priv))
	}
	keys := make([]Key, n)
	for i := range keys {
		keys[i] = Key{ID: fmt.Sprintf("k%d", i), Public: &priv[i].PublicKey}
	}
	return keys
}

// flipSource is a Source whose keys the test changes with Set. Like a key
// ring, it notifies subscribers synchronously under its lock.
type flipSource struct {
	mu   sync.Mutex
	keys []Key
	subs map[int]func([]Key)
	next int
}

func newFlipSource(keys []Key) *flipSource {
	return &flipSource{keys: keys, subs: map[int]func([]Key){}}
}

func (s *flipSource) Subscribe(fn func([]Key)) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.next
	s.next++
	s.subs[id] = fn
	fn(s.keys)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs, id)
	}
}

func (s *flipSource) Set(keys []Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
	for _, fn := range s.subs {
		fn(keys)
	}
}

func (s *flipSource) subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}
