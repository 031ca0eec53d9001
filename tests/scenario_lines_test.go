// Framing scenarios: lines in one packet, a line split across writes, many lines pipelined, and
// a megabyte of lines read back while it is written. They check what tornado/iostream.py's
// read_until promises (tornado/test/iostream_test.py tests it on one stream): each line whole,
// unchanged, in order, however the bytes were cut on the way.

package tests

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// maxLine is the echo protocol's limit (book/00-preface.md): 64 KiB of line, not counting its
// '\n'.
const maxLine = 64 << 10

// onePacketLines has an empty line and bytes a careless server might alter.
const onePacketLines = "hello\n\n  spaces and\ttabs  \ncarriage return\r\nnul \x00 byte\n" +
	"\xffnot utf-8\nünïcödé ✓\nlast\n"

func linesInOnePacket(t testing.TB, tg target) Transcript {
	a := dial(t, tg, "a")
	a.sendString(onePacketLines)
	a.expectString(onePacketLines)
	a.halfClose()
	a.end(EndEOF)
	return transcriptOf(a)
}

func splitAcrossWrites(t testing.TB, tg target) Transcript {
	a := dial(t, tg, "a")
	// Back to back, with nothing in between: the pieces may arrive together or apart.
	a.sendString("hel")
	a.sendString("lo, ")
	a.sendString("world\n")
	a.expectString("hello, world\n")
	for _, b := range []byte("byte by byte\n") {
		a.send([]byte{b})
	}
	a.expectString("byte by byte\n")
	// With a pause (waiting for nothing) after a piece, so it reaches the server on its own; the
	// pause also checks that a partial line is not echoed early.
	a.sendString("pau")
	a.quiet(pause)
	a.sendString("sed\n")
	a.expectString("paused\n")
	// Cut after a '\n': the complete line comes back at once, the rest waits for its end.
	a.sendString("first\nsec")
	a.expectString("first\n")
	a.quiet(pause)
	a.sendString("ond\nthi")
	a.expectString("second\n")
	a.quiet(pause)
	a.sendString("rd\n")
	a.expectString("third\n")
	a.halfClose()
	a.end(EndEOF)
	return transcriptOf(a)
}

// pipelinedLines are all sent before any echo is read.
const pipelinedLines = 10_000

func pipelined(t testing.TB, tg target) Transcript {
	var lines bytes.Buffer
	for i := range pipelinedLines {
		fmt.Fprintf(&lines, "%d\n", i)
	}
	a := dial(t, tg, "a")
	a.send(lines.Bytes())
	a.expect(lines.Bytes())
	a.halfClose()
	a.end(EndEOF)
	return transcriptOf(a)
}

func megabyte(t testing.TB, tg target) Transcript {
	data, chunks := megabyteOfLines()
	a := dial(t, tg, "a")
	wait := a.sendConcurrently(chunks)
	a.expect(data)
	wait()
	a.halfClose()
	a.end(EndEOF)
	return transcriptOf(a)
}

// megabyteOfLines makes at least 1 MiB of lines, the same every run: mostly short, some of a few
// KiB, and now and then one at or near the 64 KiB limit. It is cut into writes of random sizes
// that ignore line boundaries.
func megabyteOfLines() (data []byte, chunks [][]byte) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 \t\r\x00\xff"
	rnd := rand.New(rand.NewPCG(1, 2))
	longs := []int{maxLine, maxLine - 1, 60_001, maxLine}
	var b bytes.Buffer
	for b.Len() < 1<<20 {
		n := rnd.IntN(200)
		if rnd.IntN(50) == 0 {
			n = 1000 + rnd.IntN(8000)
		}
		if len(longs) > 0 && b.Len() > (5-len(longs))*200_000 {
			n, longs = longs[0], longs[1:]
		}
		for range n {
			b.WriteByte(alphabet[rnd.IntN(len(alphabet))])
		}
		b.WriteByte('\n')
	}
	data = b.Bytes()
	for rest := data; len(rest) > 0; {
		n := min(1+rnd.IntN(16<<10), len(rest))
		chunks, rest = append(chunks, rest[:n]), rest[n:]
	}
	return data, chunks
}
