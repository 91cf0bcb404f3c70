package keystate

import (
	"testing"
	"time"
)

func TestRules(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	keys := []Times{
		{PublishAt: h(0), SignAt: h(0), RetireAt: h(12)}, // retired key
		{PublishAt: h(9), SignAt: h(10)},                 // its successor, signs from 10 h
		{PublishAt: h(19)},                               // staged: published, never signs
	}
	at := func(i int) Times { return keys[i] }
	for _, tc := range []struct {
		t         time.Time
		signer    int
		published []bool
		next      time.Time
	}{
		{h(0), 0, []bool{true, false, false}, h(9)},
		{h(9), 0, []bool{true, true, false}, h(10)},
		{h(10), 1, []bool{true, true, false}, h(12)},
		{h(12), 1, []bool{false, true, false}, h(19)},
		{h(20), 1, []bool{false, true, true}, time.Time{}},
		{h(-1), -1, []bool{false, false, false}, h(0)},
	} {
		if got := Signer(len(keys), at, tc.t); got != tc.signer {
			t.Errorf("%s: signer %d, want %d", tc.t, got, tc.signer)
		}
		for i, want := range tc.published {
			if got := keys[i].Published(tc.t); got != want {
				t.Errorf("%s: key %d published %v, want %v", tc.t, i, got, want)
			}
		}
		if got := Next(len(keys), at, tc.t); !got.Equal(tc.next) {
			t.Errorf("%s: next %s, want %s", tc.t, got, tc.next)
		}
	}
	// A retired key never signs, even if its SignAt is the latest.
	late := []Times{{PublishAt: h(0), SignAt: h(1)}, {PublishAt: h(0), SignAt: h(2), RetireAt: h(3)}}
	if got := Signer(2, func(i int) Times { return late[i] }, h(4)); got != 0 {
		t.Errorf("signer after the later key retired: %d, want 0", got)
	}
}
