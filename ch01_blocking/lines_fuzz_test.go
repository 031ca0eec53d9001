// A fuzz target for Lines: any input, cut anywhere, must give what a plain reference gives on
// the whole input at once.

package blocking

import (
	"bytes"
	"errors"
	"testing"
)

// Each '*' in a fuzz input stands for starRun bytes of line, so that four of them make a line
// of exactly MaxLineLength and the fuzzer can reach the limit with short inputs. Only the first
// maxStars are expanded, to keep each run small.
const (
	starRun  = MaxLineLength / 4
	maxStars = 10
)

func expandStars(data []byte) []byte {
	var out []byte
	stars := 0
	for _, b := range data {
		if b == '*' && stars < maxStars {
			stars++
			out = append(out, bytes.Repeat([]byte{'x'}, starRun)...)
			continue
		}
		out = append(out, b)
	}
	return out
}

// cutSize turns one of the fuzzer's cut bytes into a read size: below 128 a size of b+1 bytes,
// from 128 up a size of (b-127) KiB, so both tiny and large reads occur.
func cutSize(b byte) int {
	if b < 128 {
		return int(b) + 1
	}
	return int(b-127) << 10
}

// referenceLines is the protocol stated plainly: every complete line in order, stopping at the
// first line longer than MaxLineLength (a tail with no '\n' counts, once it is too long).
func referenceLines(data []byte) (lines []byte, tooLong bool, pending int) {
	parts := bytes.Split(data, []byte("\n"))
	tail := parts[len(parts)-1]
	for _, line := range parts[:len(parts)-1] {
		if len(line) > MaxLineLength {
			return lines, true, 0
		}
		lines = append(append(lines, line...), '\n')
	}
	if len(tail) > MaxLineLength {
		return lines, true, 0
	}
	return lines, false, len(tail)
}

func FuzzLines(f *testing.F) {
	f.Add([]byte("hello\nworld\n"), []byte{0})
	f.Add([]byte("a\nb\nc\npartial"), []byte{2, 0, 200})
	f.Add([]byte("****\n"), []byte{130, 1})         // exactly MaxLineLength
	f.Add([]byte("s\n****x\nafter\n"), []byte{255}) // one over, between short lines
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		input := expandStars(data)
		var pieces [][]byte
		rest := input
		for i := 0; len(rest) > 0; i++ {
			size := len(rest)
			if len(cuts) > 0 {
				size = min(cutSize(cuts[i%len(cuts)]), len(rest))
			}
			pieces = append(pieces, rest[:size])
			rest = rest[size:]
		}

		var l Lines
		got, err := feedAll(&l, pieces)
		want, wantTooLong, wantPending := referenceLines(input)

		if err != nil && !errors.Is(err, ErrLineTooLong) {
			t.Fatalf("Feed: unexpected error %v", err)
		}
		if gotTooLong := err != nil; gotTooLong != wantTooLong {
			t.Fatalf("too long = %v, reference says %v", gotTooLong, wantTooLong)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("lines differ from the reference: got %d bytes, want %d", len(got), len(want))
		}
		if !wantTooLong && l.Pending() != wantPending {
			t.Fatalf("Pending() = %d, reference has a %d-byte tail", l.Pending(), wantPending)
		}
	})
}
