// Framing under fuzzing: whatever the bytes, the delimiter, the pieces they are sent in and the
// size of each recv, repeated ReadUntil(delim) must cut the input exactly where
// bytes.SplitAfter does, and drop the unfinished tail at EOF.
//
//	go test -run '^$' -fuzz FuzzIOStreamFraming -fuzztime 60s ./ch04_tcpserver/

package tcpserver

import (
	"bytes"
	"slices"
	"testing"
)

// maxFuzzInput bounds an input so that one run stays quick.
const maxFuzzInput = 64 << 10

func FuzzIOStreamFraming(f *testing.F) {
	f.Add([]byte("one\ntwo\n\nthree"), []byte("\n"), []byte{0, 3, 1}, uint16(0))
	f.Add([]byte("a\r\nb\r\r\n\r\nc"), []byte("\r\n"), []byte{1}, uint16(1))
	f.Add([]byte("xxyxxyyxyxxy"), []byte("xy"), []byte{2, 0, 5}, uint16(2))
	f.Fuzz(func(t *testing.T, data, delim, cuts []byte, chunk uint16) {
		if len(delim) == 0 || len(delim) > 8 || len(data) > maxFuzzInput {
			t.Skip("delimiter of 1 to 8 bytes and at most 64 KiB of input")
		}
		want := bytes.SplitAfter(data, delim)
		want = want[:len(want)-1] // the tail after the last delimiter is never delivered
		wantFrames := make([]string, len(want))
		for i, w := range want {
			wantFrames[i] = string(w)
		}

		// The pieces the writer sends, one per pass of the loop so that each arrives on its own.
		var pieces [][]byte
		for rest, i := data, 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(cuts) > 0 {
				n = min(n, 1+int(cuts[i%len(cuts)]))
			}
			pieces, rest = append(pieces, rest[:n]), rest[n:]
		}
		opts := []StreamOption{}
		if chunk > 0 {
			opts = append(opts, WithReadChunkSize(int(chunk)))
		}

		l, logs := newStreamLoop(t)
		reader, writer := streamPair(t, l, logs, opts...)
		var got []string
		runScenario(t, l, func(done func()) {
			var next func([]byte)
			next = func(frame []byte) {
				got = append(got, string(frame))
				if err := reader.ReadUntil(delim, next); err != nil {
					t.Errorf("ReadUntil: %v", err)
				}
			}
			reader.SetCloseCallback(done)
			reader.ReadUntil(delim, next)
			var send func(i int)
			send = func(i int) {
				if i == len(pieces) {
					writer.Close()
					return
				}
				writer.Write(pieces[i], func() { l.AddCallback(func() { send(i + 1) }) })
			}
			send(0)
		})
		if !slices.Equal(got, wantFrames) {
			t.Errorf("frames %q, want %q (delimiter %q, pieces %d, chunk %d)", got, wantFrames, delim, len(pieces), chunk)
		}
		if reader.Error() != nil {
			t.Errorf("reader closed with %v", reader.Error())
		}
	})
}
