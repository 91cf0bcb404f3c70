// Package pairbench measures a function against its floor in one
// benchmark loop, for the ratio targets of extauth's benchmarks.
package pairbench

import (
	"slices"
	"testing"
	"time"
)

// Ratio alternates floor and fn (in alternating order) for b.Loop and
// reports name+"/floor": the median of the per-pair ratios of their
// wall-clock times, plus the ratio of the totals and both mean per-op
// times. Pairing and the median keep the ratio steady even when other
// processes compete for the cores.
func Ratio(b *testing.B, name string, floor, fn func()) {
	var floorTotal, fnTotal time.Duration
	var ratios []float64
	for n := 0; b.Loop(); n++ {
		first, second := floor, fn
		if n%2 == 1 {
			first, second = fn, floor
		}
		t0 := time.Now()
		first()
		t1 := time.Now()
		second()
		t2 := time.Now()
		f, g := t1.Sub(t0), t2.Sub(t1)
		if n%2 == 1 {
			f, g = g, f
		}
		floorTotal += f
		fnTotal += g
		if f > 0 {
			ratios = append(ratios, float64(g)/float64(f))
		}
	}
	slices.Sort(ratios)
	if len(ratios) > 0 {
		b.ReportMetric(ratios[len(ratios)/2], name+"/floor")
	}
	if floorTotal > 0 {
		b.ReportMetric(float64(fnTotal)/float64(floorTotal), name+"/floor-total")
		b.ReportMetric(float64(floorTotal.Nanoseconds())/float64(b.N), "floor-ns/op")
		b.ReportMetric(float64(fnTotal.Nanoseconds())/float64(b.N), name+"-ns/op")
	}
}
