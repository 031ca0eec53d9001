// The 64 KiB limit: a longer line closes its own connection and nothing else, and a line of
// exactly 64 KiB is still a line. Mirrors tornado/iostream.py's max_buffer_size, which closes a
// stream whose buffered read outgrows it.

package tests

import (
	"bytes"
	"testing"
)

// lineOf returns a line of n bytes plus its '\n'.
func lineOf(n int, b byte) []byte {
	return append(bytes.Repeat([]byte{b}, n), '\n')
}

func lineTooLong(t testing.TB, tg target) Transcript {
	a := dial(t, tg, "a")
	a.sendString("a1\n")
	a.expectString("a1\n")
	// b connects before a's long line. A server that serialises clients leaves it waiting in the
	// listen backlog until a is gone, so b reads its first echo later there; b's transcript is
	// the same either way.
	b := dial(t, tg, "b")
	b.sendString("b1\n")
	if !tg.entry.Serialises {
		b.expectString("b1\n")
	}
	// The lines before the long one, in the same write, are echoed before the connection closes.
	before := "a2\na3\n"
	a.sendUntilClosed(append([]byte(before), lineOf(maxLine+1, 'x')...))
	if got := a.end(EndClosed); string(got) != before {
		t.Errorf("a: before the too-long line, got %s, want %s", describe(got), describe([]byte(before)))
	}
	if tg.entry.Serialises {
		b.expectString("b1\n")
	}
	b.send(lineOf(maxLine, 'y'))
	b.expect(lineOf(maxLine, 'y'))
	b.sendString("b2\n")
	b.expectString("b2\n")
	b.halfClose()
	b.end(EndEOF)
	return transcriptOf(a, b)
}
