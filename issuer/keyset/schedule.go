package keyset

import (
	"slices"
	"time"

	"github.com/extauth/extauth/issuer/internal/keystate"
)

// Document is the stored key set: every replica derives, from the same
// document and the clock, the same published keys and the same signing key
// at the same moment, without talking to the others.
type Document struct {
	// Version increases with every accepted change (compare-and-swap).
	Version int64 `json:"version"`
	// Keys are the key records, oldest first.
	Keys []Record `json:"keys"`
}

// Record is one key and the times that decide its state:
//
//   - published from PublishAt until RetireAt (forever while RetireAt is
//     zero);
//   - the signing key from SignAt until the next record's SignAt.
//
// A record is published at least the publish lead before it signs, and a
// superseded record's RetireAt is the successor's SignAt + MaxTTL +
// leeway, when the last token it signed has expired.
type Record struct {
	KID       string    `json:"kid"`
	PublishAt time.Time `json:"publishAt"`
	SignAt    time.Time `json:"signAt"`
	RetireAt  time.Time `json:"retireAt,omitzero"`
	// Public is the public JWK.
	Public []byte `json:"public"`
	// Private is the private JWK, sealed by the Sealer named SealedBy
	// (empty: not sealed); empty when Ref is set.
	Private  []byte `json:"private,omitempty"`
	SealedBy string `json:"sealedBy,omitempty"`
	// Ref names a key held in an HSM or KMS (Config.Open resolves it); no
	// private material is stored then.
	Ref string `json:"ref,omitempty"`
}

// times are the record's instants in the rule set keystate applies (the
// same one issuer.Ring uses).
func (r *Record) times() keystate.Times {
	return keystate.Times{PublishAt: r.PublishAt, SignAt: r.SignAt, RetireAt: r.RetireAt}
}

// published returns the records published at t, newest first.
func published(doc *Document, t time.Time) []Record {
	var out []Record
	for i := len(doc.Keys) - 1; i >= 0; i-- {
		if doc.Keys[i].times().Published(t) {
			out = append(out, doc.Keys[i])
		}
	}
	return out
}

// signer returns the index of the record that signs at t; -1 when there
// is none.
func signer(doc *Document, t time.Time) int {
	return keystate.Signer(len(doc.Keys), func(i int) keystate.Times { return doc.Keys[i].times() }, t)
}

// nextTransition is the earliest time after t at which the published set
// or the signer changes; zero when none is scheduled.
func nextTransition(doc *Document, t time.Time) time.Time {
	return keystate.Next(len(doc.Keys), func(i int) keystate.Times { return doc.Keys[i].times() }, t)
}

// schedule holds the durations that decide a proposal.
type schedule struct {
	rotation, lead, maxTTL, leeway time.Duration
}

// proposal says what change, if any, the document needs at t: a first
// key, or the next key once the signer is due to rotate; records retired
// before t are dropped. It returns nil when nothing is due. newKey is the
// record of a fresh key (PublishAt and SignAt are set here).
func (s schedule) proposal(doc *Document, t time.Time) (due bool, next func(newKey Record) *Document) {
	cur := signer(doc, t)
	pending := slices.ContainsFunc(doc.Keys, func(r Record) bool { return r.SignAt.After(t) })
	switch {
	case cur < 0 && !pending:
		// Nothing can sign: the first key signs at once (no verifier can
		// hold tokens of a key that never existed).
		return true, func(k Record) *Document {
			k.PublishAt, k.SignAt = t, t
			return s.withKey(doc, t, k, -1)
		}
	case cur >= 0 && !pending && s.rotation > 0 && !t.Before(doc.Keys[cur].SignAt.Add(s.rotation-s.lead)):
		return true, func(k Record) *Document {
			signAt := maxTime(t.Add(s.lead), doc.Keys[cur].SignAt.Add(s.rotation))
			k.PublishAt, k.SignAt = t, signAt
			return s.withKey(doc, t, k, cur)
		}
	}
	return false, nil
}

// withKey returns a copy of doc with k appended, the record at retire
// (unless -1) retired when its last token has expired, and records whose
// retirement has passed dropped.
func (s schedule) withKey(doc *Document, t time.Time, k Record, retire int) *Document {
	out := &Document{Version: doc.Version + 1}
	for i, r := range doc.Keys {
		if i == retire {
			r.RetireAt = k.SignAt.Add(s.maxTTL + s.leeway)
		}
		if !r.RetireAt.IsZero() && !t.Before(r.RetireAt) {
			continue
		}
		out.Keys = append(out.Keys, r)
	}
	out.Keys = append(out.Keys, k)
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
