// Keeping the end of a server's standard error, to say why it died.

package bench

import (
	"bytes"
	"strings"
	"sync"
)

// lastWords is the io.Writer a server's standard error goes to. It keeps only what explains a
// death, in bounded memory however much the server writes (a crashing Go program may print a
// stack for every goroutine): the first line that looks like the cause, and the last few lines.
type lastWords struct {
	mu      sync.Mutex
	partial []byte   // the unfinished line, at most maxLine bytes
	tail    []string // the last tailLines complete lines
	causes  []string // the first maxCauses lines that start like the runtime's last words
}

const (
	maxLine   = 512
	tailLines = 8
	maxCauses = 2 // "runtime: program exceeds 10000-thread limit" and "fatal error: thread exhaustion"
)

// causePrefixes mark the line that says why a Go program stopped: the runtime's own message
// comes before the stacks, which would otherwise be the last lines.
var causePrefixes = []string{"fatal error:", "panic:", "runtime:"}

func (w *lastWords) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.partial = appendBounded(w.partial, p)
			break
		}
		w.partial = appendBounded(w.partial, p[:i])
		w.line(string(w.partial))
		w.partial = w.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

func appendBounded(dst, p []byte) []byte {
	return append(dst, p[:min(len(p), maxLine-len(dst))]...)
}

func (w *lastWords) line(s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	for _, prefix := range causePrefixes {
		if len(w.causes) < maxCauses && strings.HasPrefix(s, prefix) {
			w.causes = append(w.causes, s)
			break
		}
	}
	if len(w.tail) == tailLines {
		w.tail = append(w.tail[:0], w.tail[1:]...)
	}
	w.tail = append(w.tail, s)
}

// Summary is the one line that best says why the process ended: the runtime's message if there
// was one (its first two lines, joined), or else its last line, or "" if it said nothing.
func (w *lastWords) Summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.causes) > 0 {
		return strings.Join(w.causes, "; ")
	}
	if s := strings.TrimSpace(string(w.partial)); s != "" {
		return s
	}
	if len(w.tail) > 0 {
		return w.tail[len(w.tail)-1]
	}
	return ""
}

// Tail is the last few lines, for the progress output.
func (w *lastWords) Tail() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.tail...)
}
