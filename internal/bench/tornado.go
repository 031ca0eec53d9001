// The real Tornado in the tables: finding it, writing its scripts (tornado_scripts.go) and
// starting them as servers the way `chapters run` starts ours. Their ids, tornado/echo and
// tornado/http, are the bench's own: they are not in the catalog, as they are not the book's code.

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// IsExternal reports whether id is a server the bench starts itself (the real Tornado's) rather
// than through `chapters run`, and so one the catalog does not list.
func IsExternal(id string) bool {
	_, ok := tornadoScripts[id]
	return ok
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

// externals starts a plan's servers: the catalog's through `chapters run`, Tornado's with Python.
type externals struct {
	exe     string
	tornado *Tornado // nil when the plan has no Tornado row or Tornado is missing
}

// prepareExternals finds Tornado if the plan has a row for it and writes its scripts. Without
// Tornado those rows are left out of the plan, each with a line in skipped (and on progress)
// saying why: the real Tornado joins the tables only where it is installed.
func prepareExternals(exe string, plan Plan, progress io.Writer) (Plan, *externals, []string) {
	ext := &externals{exe: exe}
	var needTornado bool
	for _, row := range plan {
		needTornado = needTornado || IsExternal(row.Server)
	}
	if !needTornado {
		return plan, ext, nil
	}
	t, err := FindTornado()
	if err == nil {
		err = t.WriteScripts()
	}
	if err == nil {
		ext.tornado = t
		fmt.Fprintf(progress, "bench: %s\n", t)
		return plan, ext, nil
	}
	var kept Plan
	var skipped []string
	for _, row := range plan {
		if IsExternal(row.Server) {
			skipped = append(skipped, fmt.Sprintf("%s: %v", row.Server, err))
			fmt.Fprintf(progress, "bench: skipping %s: %v\n", row.Server, err)
			continue
		}
		kept = append(kept, row)
	}
	return kept, ext, skipped
}

// start starts server id for one scenario. maxThreads is the Go runtime's, so Tornado's servers
// ignore it.
func (e *externals) start(id string, maxThreads int, pin *Pinning) (*Proc, error) {
	if !IsExternal(id) {
		return Start(e.exe, id, maxThreads, pin)
	}
	if e.tornado == nil {
		return nil, fmt.Errorf("%s: %w", id, ErrNoTornado)
	}
	argv, err := e.tornado.Command(id)
	if err != nil {
		return nil, err
	}
	return StartCommand(id, argv, pin)
}

// describe is what ran server id when it is not the book's: "Tornado 6.2 on Python 3.11.2
// (/usr/bin/python3)", or "".
func (e *externals) describe(id string) string {
	if IsExternal(id) && e.tornado != nil {
		return e.tornado.String()
	}
	return ""
}

// Close removes what prepareExternals wrote.
func (e *externals) Close() error {
	if e.tornado == nil {
		return nil
	}
	return e.tornado.Close()
}
