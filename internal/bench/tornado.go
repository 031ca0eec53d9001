// The real Tornado in the tables: finding it, writing its scripts (tornado_scripts.go) and
// starting them as servers the way `chapters run` starts ours. It is one of the peers
// (peers.go): its ids, tornado/echo and tornado/http, are not in the catalog.

package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The real Tornado's servers.
const (
	TornadoEcho = "tornado/echo" // a TCPServer speaking the echo protocol
	TornadoHTTP = "tornado/http" // the helloworld on tornado.web
)

// tornadoScripts are the programs behind each id, by file name.
var tornadoScripts = map[string]struct{ file, source string }{
	TornadoEcho: {"tornado_echo.py", tornadoEchoScript},
	TornadoHTTP: {"tornado_http.py", tornadoHTTPScript},
}

// ErrNoTornado is returned when no Python at hand can import tornado.
var ErrNoTornado = errors.New("the real Tornado is not installed (apt-get install python3-tornado)")

// pythonCandidates are the interpreters tried, in order: the system's first, where Debian's
// python3-tornado installs, then whichever python3 is first on PATH.
var pythonCandidates = []string{"/usr/bin/python3", "python3"}

// Tornado is an interpreter that imports tornado, and the directory its scripts are written to.
type Tornado struct {
	Python        string // the interpreter's path
	PythonVersion string // "3.11.2"
	Version       string // tornado.version: "6.2"
	dir           string
}

// FindTornado returns the first of pythonCandidates that can import tornado 5 or later (the
// scripts use asyncio.run), or ErrNoTornado with what each candidate said.
func FindTornado() (*Tornado, error) {
	var why []string
	for _, candidate := range pythonCandidates {
		path, err := exec.LookPath(candidate)
		if err != nil {
			why = append(why, fmt.Sprintf("%s: not found", candidate))
			continue
		}
		t, err := probeTornado(path)
		if err != nil {
			why = append(why, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		return t, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNoTornado, strings.Join(why, "; "))
}

// probeTornado asks python for tornado's version and its own.
func probeTornado(python string) (*Tornado, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const probe = "import sys, tornado; print(tornado.version); print('%d.%d.%d' % sys.version_info[:3])"
	out, err := exec.CommandContext(ctx, python, "-c", probe).CombinedOutput()
	if err != nil {
		last := strings.TrimSpace(string(out))
		if i := strings.LastIndexByte(last, '\n'); i >= 0 {
			last = last[i+1:]
		}
		return nil, fmt.Errorf("%w: %s", err, last)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		return nil, fmt.Errorf("unexpected answer %q", out)
	}
	major, _, _ := strings.Cut(lines[0], ".")
	if n, err := strconv.Atoi(major); err != nil || n < 5 {
		return nil, fmt.Errorf("tornado %s: the bench's scripts need 5.0 or later", lines[0])
	}
	return &Tornado{Python: python, Version: lines[0], PythonVersion: lines[1]}, nil
}

// String says which Tornado it is, for the results: "Tornado 6.2 on Python 3.11.2
// (/usr/bin/python3)".
func (t *Tornado) String() string {
	return fmt.Sprintf("Tornado %s on Python %s (%s)", t.Version, t.PythonVersion, t.Python)
}

// WriteScripts writes the scripts into a new temporary directory; Close removes it.
func (t *Tornado) WriteScripts() error {
	dir, err := os.MkdirTemp("", "bench-tornado-")
	if err != nil {
		return err
	}
	for _, s := range tornadoScripts {
		if err := os.WriteFile(filepath.Join(dir, s.file), []byte(s.source), 0o644); err != nil {
			os.RemoveAll(dir)
			return err
		}
	}
	t.dir = dir
	return nil
}

// Command is the argv that runs server id on a free loopback port.
func (t *Tornado) Command(id string) ([]string, error) {
	s, ok := tornadoScripts[id]
	if !ok {
		return nil, fmt.Errorf("%q is not one of the real Tornado's servers", id)
	}
	if t.dir == "" {
		return nil, errors.New("the Tornado scripts have not been written (WriteScripts)")
	}
	return []string{t.Python, filepath.Join(t.dir, s.file), "127.0.0.1", "0"}, nil
}

// Close removes the scripts.
func (t *Tornado) Close() error {
	if t.dir == "" {
		return nil
	}
	err := os.RemoveAll(t.dir)
	t.dir = ""
	return err
}

// prepareTornado finds the real Tornado and writes its scripts.
func prepareTornado() (*Tornado, error) {
	t, err := FindTornado()
	if err != nil {
		return nil, err
	}
	if err := t.WriteScripts(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tornado) start(id string, pin *Pinning) (*Proc, error) {
	argv, err := t.Command(id)
	if err != nil {
		return nil, err
	}
	return StartCommand(id, argv, pin)
}
