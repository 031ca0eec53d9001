// The servers in the tables that are not the book's: the real Tornado (tornado.go), a C epoll
// echo server (the floor no Go loop can beat), gnet, the Go loop library the chapter-3 loop is
// compared with, and nginx for HTTP. The bench builds or finds each one when a plan has its
// rows, and leaves those rows out with a note where it cannot. Their ids are the bench's own:
// they are not in the catalog.

package bench

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// The peers' servers.
const (
	CEpoll    = "c/epoll"    // cecho/echo.c: one thread, level-triggered epoll
	GnetEcho  = "gnet/echo"  // gnetecho/: gnet v2 with one event loop
	NginxHTTP = "nginx/http" // nginx, one process, `return 200 "Hello, world"`
	// NginxHTTPS is nginx/http over TLS, with a self-signed ECDSA P-256 pair.
	NginxHTTPS = "nginx/https"
)

// peer is a server the bench prepares itself (builds, finds or writes) rather than starting it
// through `chapters run`.
type peer interface {
	start(id string, pin *Pinning) (*Proc, error)
	String() string // what runs it, for the results: "gnet v2.9.7 built with go1.26.0"
	Close() error   // removes what preparing it left behind
}

// peerKinds are the peers by what they need, each with its ids and how to prepare it. One
// preparation serves all its ids, for the whole run.
var peerKinds = []struct {
	ids     []string
	prepare func() (peer, error)
}{
	{[]string{CEpoll}, func() (peer, error) { return asPeer(BuildC()) }},
	{[]string{GnetEcho}, func() (peer, error) { return asPeer(BuildGnet()) }},
	{[]string{TornadoEcho, TornadoHTTP}, func() (peer, error) { return asPeer(prepareTornado()) }},
	{[]string{NginxHTTP, NginxHTTPS}, func() (peer, error) { return asPeer(FindNginx()) }},
}

// asPeer keeps a failed preparation's nil pointer from becoming a non-nil peer.
func asPeer[P peer](p P, err error) (peer, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}

// IsExternal reports whether id is a server the bench prepares and starts itself (a peer)
// rather than through `chapters run`, and so one the catalog does not list.
func IsExternal(id string) bool {
	for _, k := range peerKinds {
		if slices.Contains(k.ids, id) {
			return true
		}
	}
	return false
}

// externals starts a plan's servers: the catalog's through `chapters run`, the peers as each
// kind does.
type externals struct {
	exe   string
	peers map[string]peer // by id: only those prepared
	all   []peer
}

// prepareExternals prepares each kind of peer the plan has rows for. A kind that cannot be
// prepared here has its rows left out of the plan, each with a line in skipped (and on
// progress) saying why: a peer joins the tables only where it can run.
func prepareExternals(exe string, plan Plan, progress io.Writer) (Plan, *externals, []string) {
	ext := &externals{exe: exe, peers: map[string]peer{}}
	unavailable := map[string]error{}
	for _, k := range peerKinds {
		if !slices.ContainsFunc(plan, func(r Row) bool { return slices.Contains(k.ids, r.Server) }) {
			continue
		}
		p, err := k.prepare()
		for _, id := range k.ids {
			if err != nil {
				unavailable[id] = err
			} else {
				ext.peers[id] = p
			}
		}
		if err == nil {
			ext.all = append(ext.all, p)
			fmt.Fprintf(progress, "bench: %s\n", p)
		}
	}
	var kept Plan
	var skipped []string
	for _, row := range plan {
		if err, ok := unavailable[row.Server]; ok {
			skipped = append(skipped, fmt.Sprintf("%s: %v", row.Server, err))
			fmt.Fprintf(progress, "bench: skipping %s: %v\n", row.Server, err)
			continue
		}
		kept = append(kept, row)
	}
	return kept, ext, skipped
}

// start starts server id for one scenario. maxThreads is the Go runtime's, so the peers
// ignore it.
func (e *externals) start(id string, maxThreads int, pin *Pinning) (*Proc, error) {
	if !IsExternal(id) {
		return Start(e.exe, id, maxThreads, pin)
	}
	p, ok := e.peers[id]
	if !ok {
		return nil, fmt.Errorf("%s was not prepared", id)
	}
	return p.start(id, pin)
}

// describe is what ran server id when it is not the book's, or "".
func (e *externals) describe(id string) string {
	if p, ok := e.peers[id]; ok {
		return p.String()
	}
	return ""
}

// Close removes what prepareExternals left behind.
func (e *externals) Close() error {
	var errs []error
	for _, p := range e.all {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}

// buildTimeout bounds compiling a peer; gnet's first build also downloads its modules.
const buildTimeout = 3 * time.Minute

// runIn runs argv in dir and returns its combined output, the command's error naming its last
// line of output.
func runIn(dir string, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, lastLine(string(out)))
	}
	return string(out), nil
}

// lastLine is the last non-empty line of out.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// The C floor.

//go:embed cecho/echo.c
var cEchoSource []byte

// ErrNoCC is returned when there is no C compiler to build the C echo server with.
var ErrNoCC = errors.New("no C compiler (apt-get install gcc)")

// CBuild is the C echo server, compiled.
type CBuild struct {
	Compiler string // "gcc (Debian 12.2.0-14) 12.2.0"
	dir, bin string
}

// BuildC compiles cecho/echo.c with `cc -O2` into a new temporary directory; Close removes
// it.
func BuildC() (*CBuild, error) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		return nil, ErrNoCC
	}
	dir, err := os.MkdirTemp("", "bench-cecho-")
	if err != nil {
		return nil, err
	}
	c := &CBuild{dir: dir, bin: filepath.Join(dir, "echo")}
	src := filepath.Join(dir, "echo.c")
	if err = os.WriteFile(src, cEchoSource, 0o644); err == nil {
		_, err = runIn(dir, cc, "-O2", "-o", c.bin, src)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if version, err := runIn(dir, cc, "--version"); err == nil {
		c.Compiler, _, _ = strings.Cut(version, "\n")
	}
	return c, nil
}

func (c *CBuild) start(id string, pin *Pinning) (*Proc, error) {
	return StartCommand(id, []string{c.bin, "127.0.0.1:0"}, pin)
}

// String says how it was built: "echo.c, cc -O2 (gcc (Debian 12.2.0-14) 12.2.0)".
func (c *CBuild) String() string { return fmt.Sprintf("echo.c, cc -O2 (%s)", c.Compiler) }

// Close removes the binary.
func (c *CBuild) Close() error { return os.RemoveAll(c.dir) }

// gnet, in a module of its own.

// gnetVersion is the version gnetecho/go.mod requires.
const gnetVersion = "v2.9.7"

// ErrNoGnet is returned when gnet's module cannot be had: no go command, no module proxy and
// not in the module cache, or no source of the gnetecho module beside this file.
var ErrNoGnet = errors.New("gnet cannot be built here")

// GnetBuild is the gnet echo server, built.
type GnetBuild struct {
	GoVersion string // "go1.26.0"
	dir, bin  string
}

// gnetSource is the gnetecho module's directory: beside this file in the source tree, where
// `go run ./chapters` and the tests find it.
func gnetSource() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("%w: cannot tell where the bench's source is", ErrNoGnet)
	}
	dir := filepath.Join(filepath.Dir(file), "gnetecho")
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("%w: no gnetecho module beside the bench's source: %w", ErrNoGnet, err)
	}
	return dir, nil
}

// BuildGnet downloads gnet's module if the module cache lacks it, and builds gnetecho into
// a new temporary directory; Close removes it. A module that cannot be downloaded is
// ErrNoGnet; a build that fails after it was is an error of its own.
func BuildGnet() (*GnetBuild, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("%w: no go command", ErrNoGnet)
	}
	src, err := gnetSource()
	if err != nil {
		return nil, err
	}
	if _, err := runIn(src, goCmd, "mod", "download"); err != nil {
		return nil, fmt.Errorf("%w: its module is neither in the module cache nor served: %w", ErrNoGnet, err)
	}
	dir, err := os.MkdirTemp("", "bench-gnetecho-")
	if err != nil {
		return nil, err
	}
	g := &GnetBuild{dir: dir, bin: filepath.Join(dir, "gnetecho")}
	if _, err := runIn(src, goCmd, "build", "-o", g.bin, "."); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if version, err := runIn(src, goCmd, "env", "GOVERSION"); err == nil {
		g.GoVersion = strings.TrimSpace(version)
	}
	return g, nil
}

func (g *GnetBuild) start(id string, pin *Pinning) (*Proc, error) {
	return StartCommand(id, []string{g.bin, "127.0.0.1:0"}, pin)
}

// String says what was built: "gnet v2.9.7, one event loop, go1.26.0".
func (g *GnetBuild) String() string {
	return fmt.Sprintf("gnet %s, one event loop, %s", gnetVersion, g.GoVersion)
}

// Close removes the binary.
func (g *GnetBuild) Close() error { return os.RemoveAll(g.dir) }
