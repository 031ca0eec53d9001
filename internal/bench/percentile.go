// Latency percentiles.

package bench

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the nearest-rank method:
// the smallest value that at least p% of the values do not exceed. It is always one of the
// measured values, never an interpolation between two. An empty slice gives 0.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Micros converts d to microseconds, for the tables.
func Micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// sortedLatencies gathers every round trip of a run and sorts them once.
func sortedLatencies(perConn [][]time.Duration) []time.Duration {
	var all []time.Duration
	for _, l := range perConn {
		all = append(all, l...)
	}
	slices.Sort(all)
	return all
}
