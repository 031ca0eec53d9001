// Tests of Lines, the echo protocol's framing: the same lines must come out however the bytes
// were cut into reads, and the 64 KiB limit must not depend on the cut either.

package blocking

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// chunks cuts data into pieces of size bytes (the last may be shorter); size 0 means one piece.
func chunks(data []byte, size int) [][]byte {
	if size <= 0 || size >= len(data) {
		return [][]byte{data}
	}
	var out [][]byte
	for len(data) > size {
		out = append(out, data[:size])
		data = data[size:]
	}
	return append(out, data)
}

// feedAll feeds every piece in turn, through a scratch buffer that is overwritten after each
// call as a recv buffer is, and returns the lines that came out until the first error.
func feedAll(l *Lines, pieces [][]byte) ([]byte, error) {
	var out []byte
	var scratch []byte
	for _, p := range pieces {
		scratch = append(scratch[:0], p...)
		complete, err := l.Feed(scratch)
		out = append(out, complete...)
		for i := range scratch {
			scratch[i] = '#'
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func TestLinesFraming(t *testing.T) {
	tests := []struct {
		name        string
		pieces      []string
		want        string
		wantPending int
	}{
		{"one line in one feed", []string{"hello\n"}, "hello\n", 0},
		{"several lines in one feed", []string{"a\nbb\nccc\n"}, "a\nbb\nccc\n", 0},
		{"several lines and a partial tail", []string{"a\nb\nc\nd"}, "a\nb\nc\n", 1},
		{"partial tail completed later", []string{"ab", "c\nd", "e\n"}, "abc\nde\n", 0},
		{"tail completed with more lines", []string{"x", "y\nz\n", "w"}, "xy\nz\n", 1},
		{"empty feeds change nothing", []string{"", "a", "", "\n", ""}, "a\n", 0},
		{"empty lines", []string{"\n\n", "\n"}, "\n\n\n", 0},
		{"no newline yet", []string{"abc", "def"}, "", 6},
		{"bytes are not interpreted", []string{"\r\n\x00\xff\n"}, "\r\n\x00\xff\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pieces [][]byte
			for _, p := range tt.pieces {
				pieces = append(pieces, []byte(p))
			}
			var l Lines
			got, err := feedAll(&l, pieces)
			if err != nil {
				t.Fatalf("Feed: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("lines = %q, want %q", got, tt.want)
			}
			if l.Pending() != tt.wantPending {
				t.Errorf("Pending() = %d, want %d", l.Pending(), tt.wantPending)
			}
		})
	}
}

func TestLinesByteByByte(t *testing.T) {
	input := []byte("hello\nworld\n\nlast line\nunfinished")
	var l Lines
	got, err := feedAll(&l, chunks(input, 1))
	if err != nil {
		t.Fatalf("Feed: %v", err)
	}
	if want := "hello\nworld\n\nlast line\n"; string(got) != want {
		t.Errorf("lines = %q, want %q", got, want)
	}
	if l.Pending() != len("unfinished") {
		t.Errorf("Pending() = %d, want %d", l.Pending(), len("unfinished"))
	}
}

// splits are the ways the limit tests cut their input: the limit must hold for each.
var splits = []struct {
	name string
	size int
}{
	{"1-byte reads", 1},
	{"1000-byte reads", 1000},
	{"4096-byte reads", RecvBufferSize},
	{"64KiB reads", MaxLineLength},
	{"one read", 0},
}

func TestLinesLengthLimit(t *testing.T) {
	maxLine := strings.Repeat("m", MaxLineLength) + "\n"
	tooLong := strings.Repeat("L", MaxLineLength+1)
	tests := []struct {
		name    string
		pieces  []string // each is cut by the split in turn
		want    string   // the lines echoed before the error, if any
		wantErr bool
	}{
		{"exactly MaxLineLength accepted", []string{maxLine}, maxLine, false},
		{"two maximal lines in a row", []string{maxLine + maxLine}, maxLine + maxLine, false},
		{"MaxLineLength unfinished is still held", []string{maxLine[:MaxLineLength]}, "", false},
		{"one byte over, newline in the same data", []string{tooLong + "\n"}, "", true},
		{"one byte over, newline never sent", []string{tooLong}, "", true},
		{"one byte over, newline in a later feed", []string{tooLong, "\n"}, "", true},
		{"maximal partial then one more byte", []string{maxLine[:MaxLineLength], "x\n"}, "", true},
		{"too long in the middle of short lines", []string{"a\nbb\n" + tooLong + "\nc\nd\n"}, "a\nbb\n", true},
		{"too long after a maximal line", []string{"s\n" + maxLine + tooLong + "\nafter\n"}, "s\n" + maxLine, true},
		{"too long tail after short lines", []string{"a\n" + tooLong}, "a\n", true},
	}
	for _, tt := range tests {
		for _, sp := range splits {
			t.Run(tt.name+"/"+sp.name, func(t *testing.T) {
				var pieces [][]byte
				for _, p := range tt.pieces {
					pieces = append(pieces, chunks([]byte(p), sp.size)...)
				}
				var l Lines
				got, err := feedAll(&l, pieces)
				if tt.wantErr && !errors.Is(err, ErrLineTooLong) {
					t.Errorf("err = %v, want ErrLineTooLong", err)
				}
				if !tt.wantErr && err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				if string(got) != tt.want {
					t.Errorf("lines before the error: got %d bytes %.20q..., want %d bytes %.20q...",
						len(got), got, len(tt.want), tt.want)
				}
			})
		}
	}
}

func TestLinesPending(t *testing.T) {
	var l Lines
	steps := []struct {
		feed string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"de", 5},
		{"\n", 0},
		{"x\nyz", 2},
		{"\n\n", 0},
	}
	for _, s := range steps {
		if _, err := l.Feed([]byte(s.feed)); err != nil {
			t.Fatalf("Feed(%q): %v", s.feed, err)
		}
		if l.Pending() != s.want {
			t.Errorf("after Feed(%q): Pending() = %d, want %d", s.feed, l.Pending(), s.want)
		}
	}
}

// An idle connection must cost no buffer: once the last line is complete, nothing is kept.
func TestLinesIdleHoldsNoBuffer(t *testing.T) {
	var l Lines
	for _, feed := range []string{"a long partial line", " finished\n", "x\ny", "\n"} {
		if _, err := l.Feed([]byte(feed)); err != nil {
			t.Fatalf("Feed(%q): %v", feed, err)
		}
	}
	if l.partial != nil {
		t.Errorf("idle Lines holds a buffer of cap %d, want none", cap(l.partial))
	}
}

// The partial line is copied, not kept as a slice of the caller's buffer, which the caller
// reuses for its next recv.
func TestLinesPartialDoesNotAliasInput(t *testing.T) {
	var l Lines
	buf := []byte("one\ntw")
	if _, err := l.Feed(buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXXX")
	got, err := l.Feed([]byte("o\n"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "two\n" {
		t.Errorf("Feed = %q, want %q", got, "two\n")
	}
}

// A maximal line arriving one byte per read must cost linear work: each byte copied a bounded
// number of times (append's doubling), not the whole partial line again on every read.
func TestLinesOneBytePiecesIsLinear(t *testing.T) {
	line := []byte(strings.Repeat("z", MaxLineLength) + "\n")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var l Lines
	var total int
	for i := range line {
		complete, err := l.Feed(line[i : i+1])
		if err != nil {
			t.Fatalf("Feed at byte %d: %v", i, err)
		}
		total += len(complete)
	}
	runtime.ReadMemStats(&after)
	if total != len(line) {
		t.Fatalf("got %d bytes of lines, want %d", total, len(line))
	}
	// Quadratic copying would allocate about len(line)²/2 = 2 GiB; doubling allocates about
	// 2*len(line). The bound leaves room for whatever else the test binary allocates meanwhile.
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 8*uint64(len(line)) {
		t.Errorf("feeding %d bytes one at a time allocated %d bytes: not linear", len(line), allocated)
	}
}

func BenchmarkLinesFeed(b *testing.B) {
	for _, size := range []int{1, 64, RecvBufferSize} {
		b.Run(fmt.Sprintf("read=%d", size), func(b *testing.B) {
			data := bytes.Repeat([]byte(strings.Repeat("x", 63)+"\n"), 1024)
			pieces := chunks(data, size)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var l Lines
				for _, p := range pieces {
					if _, err := l.Feed(p); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
