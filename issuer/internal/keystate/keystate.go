// Package keystate holds the one rule set that decides, from each key's
// times and the clock, which keys a key set publishes and which one signs.
// issuer.Ring (keys in one process) and issuer/keyset (keys shared by
// replicas through a store) both derive their state from it.
package keystate

import "time"

// Times are the instants that decide a key's state:
//
//   - published from PublishAt until RetireAt (forever while RetireAt is
//     zero);
//   - eligible to sign from SignAt (never while SignAt is zero).
type Times struct {
	PublishAt, SignAt, RetireAt time.Time
}

// Published reports whether a key with these times is published at t.
func (k Times) Published(t time.Time) bool {
	return !t.Before(k.PublishAt) && (k.RetireAt.IsZero() || t.Before(k.RetireAt))
}

// Signer returns the index of the key that signs at t among n keys (at
// returns the times of key i): the published key with the latest SignAt
// not after t; -1 when there is none.
func Signer(n int, at func(i int) Times, t time.Time) int {
	best := -1
	var bestSign time.Time
	for i := range n {
		k := at(i)
		if k.SignAt.IsZero() || t.Before(k.SignAt) || !k.Published(t) {
			continue
		}
		if best < 0 || k.SignAt.After(bestSign) {
			best, bestSign = i, k.SignAt
		}
	}
	return best
}

// Next is the earliest instant after t at which a key's state changes;
// zero when none is scheduled.
func Next(n int, at func(i int) Times, t time.Time) time.Time {
	var next time.Time
	for i := range n {
		k := at(i)
		for _, x := range [...]time.Time{k.PublishAt, k.SignAt, k.RetireAt} {
			if x.After(t) && (next.IsZero() || x.Before(next)) {
				next = x
			}
		}
	}
	return next
}
