package dynamic

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Nonce pool parameters, as in the JS SDK (NONCE_POOL_SIZE,
// NONCE_POOL_EXPIRATION_TIME).
const (
	noncePoolSize     = 5
	noncePoolLifetime = 24 * time.Hour
	maxNonceLen       = 1024
)

// signedNonce is a server nonce and this client's device signature over it.
// Signing happens when the pool is filled, in the background, so a warm
// sign-in spends no time on ECDSA.
type signedNonce struct {
	nonce     string
	signature string
	fetched   time.Time // when the pool received it
}

// noncePool is the SDK's FIFO pool of single-use device nonces: each nonce
// is handed out once; when a take leaves ≤1 nonce a background refill
// (GET /nonces?count=5) starts; when the pool is empty or older than 24 h
// the taker waits for a refill; concurrent refills share one request. New
// nonces are appended to the unexpired remainder and the pool's expiry is
// reset to now+24 h. Unlike the SDK, a nonce older than 24 h is never handed
// out, even when a refill reset the pool's expiry after it was fetched: a
// server that expires nonces after 24 h (dynamictest does) would refuse it
// and fail that sign-in.
type noncePool struct {
	mu       sync.Mutex
	items    []signedNonce
	expires  time.Time
	inflight *flight

	fetch func(context.Context) ([]signedNonce, error)
	now   func() time.Time
	waits atomic.Int64 // takes that had to wait for a refill (benchmarks)
}

// take pops the oldest nonce, waiting for a refill when the pool is empty or
// expired. It returns when ctx ends.
func (p *noncePool) take(ctx context.Context) (signedNonce, error) {
	for {
		p.mu.Lock()
		now := p.now()
		if !now.Before(p.expires) {
			p.items = nil
		}
		for len(p.items) > 0 && !now.Before(p.items[0].fetched.Add(noncePoolLifetime)) {
			p.items[0] = signedNonce{}
			p.items = p.items[1:]
		}
		if len(p.items) > 0 {
			n := p.items[0]
			p.items[0] = signedNonce{}
			p.items = p.items[1:]
			if len(p.items) <= 1 && p.inflight == nil {
				p.inflight = p.start(ctx)
			}
			p.mu.Unlock()
			return n, nil
		}
		f := p.inflight
		if f == nil {
			f = p.start(ctx)
			p.inflight = f
		}
		p.mu.Unlock()
		p.waits.Add(1)
		if err := f.wait(ctx, "GET nonces"); err != nil {
			return signedNonce{}, err
		}
		// Loop: concurrent takers may have emptied the refill already; each
		// turn waits for a real fetch, so this cannot spin.
	}
}

// fill makes sure the pool holds a full set of unexpired nonces.
func (p *noncePool) fill(ctx context.Context) error {
	p.mu.Lock()
	if p.now().Before(p.expires) && len(p.items) >= noncePoolSize {
		p.mu.Unlock()
		return nil
	}
	f := p.inflight
	if f == nil {
		f = p.start(ctx)
		p.inflight = f
	}
	p.mu.Unlock()
	return f.wait(ctx, "GET nonces")
}

// len reports the number of unexpired nonces (for tests).
func (p *noncePool) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.now().Before(p.expires) {
		return 0
	}
	return len(p.items)
}

// start launches a shared refill; p.mu must be held.
func (p *noncePool) start(ctx context.Context) *flight {
	return detach(ctx, func(ctx context.Context) error {
		items, err := p.fetch(ctx)
		p.mu.Lock()
		defer p.mu.Unlock()
		p.inflight = nil
		if err != nil {
			return err
		}
		now := p.now()
		if !now.Before(p.expires) {
			p.items = nil
		}
		for i := range items {
			items[i].fetched = now
		}
		p.items = append(p.items, items...)
		p.expires = now.Add(noncePoolLifetime)
		return nil
	})
}

// fetchNonces is GET {BaseURL}/sdk/{env}/nonces?count=5 (common headers, no
// device headers), with every nonce signed by the device key.
func (s *clientState) fetchNonces(ctx context.Context) ([]signedNonce, error) {
	data, err := s.do(ctx, &request{method: "GET", url: s.noncesURL})
	if err != nil {
		return nil, err
	}
	nonces, err := decodeNonces(data)
	if err != nil {
		return nil, err
	}
	out := make([]signedNonce, len(nonces))
	for i, n := range nonces {
		sig, err := s.device.SignNonce(n)
		if err != nil {
			return nil, err
		}
		out[i] = signedNonce{nonce: n, signature: sig}
	}
	return out, nil
}

// decodeNonces parses {"nonces":[…]}, keeps at most the noncePoolSize
// asked for (a server answering thousands would otherwise cost an ECDSA
// signature each), and checks that every nonce can travel verbatim in a
// header: 1 to 1024 visible ASCII characters.
func decodeNonces(data []byte) ([]string, error) {
	var doc struct {
		Nonces []string `json:"nonces"`
	}
	if err := decodeJSON("GET nonces", data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Nonces) == 0 {
		return nil, badResponse("GET nonces", "no nonces in the answer")
	}
	doc.Nonces = doc.Nonces[:min(len(doc.Nonces), noncePoolSize)]
	for i, n := range doc.Nonces {
		if n == "" || len(n) > maxNonceLen {
			return nil, badResponse("GET nonces", "nonce %d has length %d, want 1 to %d", i, len(n), maxNonceLen)
		}
		for j := 0; j < len(n); j++ {
			if n[j] < 0x21 || n[j] > 0x7e {
				return nil, badResponse("GET nonces", "nonce %d contains byte 0x%02x, which cannot be sent verbatim in a header", i, n[j])
			}
		}
	}
	return doc.Nonces, nil
}
