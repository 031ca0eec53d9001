package bench

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Microsecond // 1µs .. 100µs
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", []time.Duration{7}, 99, 7},
		{"p50 of 1..100", hundred, 50, 50 * time.Microsecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Microsecond},
		{"p100 is the maximum", hundred, 100, 100 * time.Microsecond},
		{"tiny p is the minimum", hundred, 0.001, 1 * time.Microsecond},
		{"p50 of an even pair is the lower", []time.Duration{10, 20}, 50, 10},
		{"p99 of four values is the largest", []time.Duration{1, 2, 3, 400}, 99, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(p%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestSortedLatencies(t *testing.T) {
	got := sortedLatencies([][]time.Duration{{5, 1}, nil, {3}})
	want := []time.Duration{1, 3, 5}
	if len(got) != len(want) {
		t.Fatalf("sortedLatencies = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sortedLatencies = %v, want %v", got, want)
		}
	}
}
