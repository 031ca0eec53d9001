// The HTTP/1.1 request head: the request line and header fields that IOStream.ReadUntil("\r\n\r\n")
// delivers, parsed into a Request. Mirrors HTTPConnection._on_headers in tornado/httpserver.py and
// HTTPHeaders.parse in tornado/httputil.py (3.2), made as strict as RFC 9112 asks a server to be.
//
// Tornado 3.2 split the request line on spaces, split each header line at its first colon, joined
// folded lines, and closed the connection without a word when something did not parse. Here every
// rejection is an error value that names the rule it broke and maps to a status code (StatusOf), so
// the server can answer 400, 431 or 501 before closing, as the echo protocol's HTTP demo promises.

package tcpserver

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

const (
	// MaxHeadSize is the longest request head accepted, blank line included: 64 KiB, the echo
	// protocol's line limit. The server enforces it as the limit of its ReadUntil; the parser
	// checks it again so it never depends on the caller for it.
	MaxHeadSize = 64 << 10

	// MaxBodySize is the default limit for CheckBodySize: 1 MiB. Tornado 3.2 compared the
	// Content-Length with the stream's max_buffer_size (100 MiB) instead.
	MaxBodySize = 1 << 20
)

var (
	// ErrBadRequest: the head breaks HTTP/1.1's syntax or one of its MUST rules (status 400).
	ErrBadRequest = errors.New("tcpserver: bad HTTP request")
	// ErrHeadTooLarge: the head is longer than MaxHeadSize (status 431).
	ErrHeadTooLarge = errors.New("tcpserver: HTTP request head larger than 64 KiB")
	// ErrBodyTooLarge: the Content-Length is over the server's limit (status 413).
	ErrBodyTooLarge = errors.New("tcpserver: HTTP request body too large")
	// ErrNotImplemented: the request uses a Transfer-Encoding (status 501). This server frames
	// request bodies by Content-Length only; RFC 9112 §6.1 asks for 501 for a transfer coding the
	// server does not understand, and refusing it also rules out Content-Length/Transfer-Encoding
	// disagreements, the classic request-smuggling trick.
	ErrNotImplemented = errors.New("tcpserver: HTTP feature not implemented")
)

// StatusOf maps an error from this file to the status code of the answer: 400, 413, 431 or 501.
// A nil error is 200 and any other error 500.
func StatusOf(err error) int {
	switch {
	case err == nil:
		return 200
	case errors.Is(err, ErrHeadTooLarge):
		return 431
	case errors.Is(err, ErrBodyTooLarge):
		return 413
	case errors.Is(err, ErrNotImplemented):
		return 501
	case errors.Is(err, ErrBadRequest):
		return 400
	default:
		return 500
	}
}

// HeaderField is one header line: its name as sent and its value without surrounding whitespace.
type HeaderField struct {
	Name, Value string
}

// Header holds the fields of a head in the order they came. Tornado's HTTPHeaders is a dict that
// rewrites every name into Http-Header-Case; a slice keeps names as sent (so a head can be written
// back unchanged) and compares them case-insensitively, which for the handful of fields a request
// carries is as quick as hashing them.
type Header []HeaderField

// Get returns the value of the first field called name, in any case, or "" if there is none.
func (h Header) Get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Values returns the values of every field called name, in any case, in order; nil if none.
// Tornado's get_list.
func (h Header) Values(name string) []string {
	var values []string
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			values = append(values, f.Value)
		}
	}
	return values
}

// Has reports whether there is a field called name, in any case.
func (h Header) Has(name string) bool {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// Request is a parsed request head. All its strings share one copy of the head.
type Request struct {
	Method  string // a token such as GET; case-sensitive, as RFC 9110 says
	Target  string // the request-target exactly as sent
	Path    string // the target's path without the query; "/" for http://host; "*" for OPTIONS *
	Query   string // what follows the first '?', without it; "" if none
	Version string // "HTTP/1.0" or "HTTP/1.1"
	Header  Header

	// ContentLength is the number of body bytes that follow the head (0 when there is no
	// Content-Length field: a request without one has no body).
	ContentLength int64

	// KeepAlive says whether the connection stays open after the response: for HTTP/1.1 unless a
	// Connection field lists "close"; for HTTP/1.0 only when one lists "keep-alive" (and none
	// lists "close"). Tornado 3.2 also kept HTTP/1.0 connections open only for GET, HEAD or a
	// request with a Content-Length; with bodies framed by Content-Length alone that is moot.
	KeepAlive bool

	// Body is left nil by ParseRequestHead; the server fills it with the ContentLength bytes it
	// reads after the head.
	Body []byte
}

// ParseRequestHead parses the head of one request: the request line and header lines up to and
// including the first blank line, and nothing after it. Lines end in "\r\n"; a bare "\n" is
// accepted too, as RFC 9112 §2.2 allows and as Tornado (str.splitlines) and net/http do. A CR
// anywhere else is an invalid byte. The head is copied, so the caller may reuse its buffer.
//
// Errors wrap ErrHeadTooLarge, ErrBadRequest or ErrNotImplemented with what was wrong.
func ParseRequestHead(head []byte) (*Request, error) {
	if len(head) > MaxHeadSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrHeadTooLarge, len(head))
	}
	// One string for the whole head: every field of the Request is a substring of it, so a head
	// costs one copy however many fields it has.
	requestLine, fields, n, err := splitHead(string(head))
	if err != nil {
		return nil, err
	}
	req := new(Request)
	if err := req.parseRequestLine(requestLine); err != nil {
		return nil, err
	}
	if n > 0 {
		req.Header = make(Header, 0, n)
	}
	for fields != "" {
		var line string
		line, fields, _ = nextLine(fields)
		f, err := parseField(line)
		if err != nil {
			return nil, err
		}
		req.Header = append(req.Header, f)
	}
	if err := req.interpretFields(); err != nil {
		return nil, err
	}
	return req, nil
}

// nextLine cuts s after its first '\n' and returns the line without its ending ("\r\n" or "\n").
func nextLine(s string) (line, rest string, ok bool) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return "", s, false
	}
	line, rest = s[:i], s[i+1:]
	return strings.TrimSuffix(line, "\r"), rest, true
}

// splitHead checks that the head ends with its first blank line and returns the request line,
// the header lines (each with its line ending) and how many there are. Counting first lets the
// Header be allocated once at its exact size.
func splitHead(s string) (requestLine, fields string, n int, err error) {
	requestLine, rest, ok := nextLine(s)
	start := rest
	for ok {
		var line, next string
		if line, next, ok = nextLine(rest); !ok {
			break
		}
		if line == "" {
			if next != "" {
				return "", "", 0, fmt.Errorf("%w: %d bytes after the blank line", ErrBadRequest, len(next))
			}
			return requestLine, start[:len(start)-len(rest)], n, nil
		}
		n++
		rest = next
	}
	return "", "", 0, fmt.Errorf("%w: head does not end with a blank line", ErrBadRequest)
}

// parseRequestLine reads "METHOD SP TARGET SP VERSION": exactly two single spaces, as RFC 9112
// §3 has it (Tornado's split(" ") asked the same but checked only that the version began "HTTP/").
func (r *Request) parseRequestLine(line string) error {
	method, rest, ok1 := strings.Cut(line, " ")
	target, version, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || method == "" || target == "" || strings.IndexByte(version, ' ') >= 0 {
		return fmt.Errorf("%w: malformed request line %.64q", ErrBadRequest, line)
	}
	if !isToken(method) {
		return fmt.Errorf("%w: invalid method %.64q", ErrBadRequest, method)
	}
	if version != "HTTP/1.1" && version != "HTTP/1.0" {
		return fmt.Errorf("%w: unsupported HTTP version %.64q", ErrBadRequest, version)
	}
	path, query, err := splitTarget(method, target)
	if err != nil {
		return err
	}
	r.Method, r.Target, r.Path, r.Query, r.Version = method, target, path, query, version
	return nil
}

// splitTarget accepts the three request-target forms a server meets (RFC 9112 §3.2): origin-form
// "/path?query", absolute-form "http://host/path?query" (sent to proxies, and which every server
// must accept), and "*" for OPTIONS. CONNECT's authority-form is for proxies and is refused.
// Tornado 3.2 only split at '?', so an absolute-form path kept its scheme and host and matched no
// route; here Path is the path in every form.
func splitTarget(method, target string) (path, query string, err error) {
	if target == "*" {
		if method != "OPTIONS" {
			return "", "", fmt.Errorf("%w: request target * is only for OPTIONS", ErrBadRequest)
		}
		return "*", "", nil
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c >= 0x7f {
			return "", "", fmt.Errorf("%w: invalid byte %#02x in request target", ErrBadRequest, c)
		}
	}
	pathAndQuery := target
	if target[0] != '/' {
		rest, ok := cutHTTPScheme(target)
		if !ok {
			return "", "", fmt.Errorf("%w: request target %.64q is not /path, * or http(s)://host/path", ErrBadRequest, target)
		}
		authority := rest
		pathAndQuery = ""
		if i := strings.IndexAny(rest, "/?"); i >= 0 {
			authority, pathAndQuery = rest[:i], rest[i:]
		}
		if authority == "" {
			return "", "", fmt.Errorf("%w: absolute request target %.64q has no host", ErrBadRequest, target)
		}
	}
	path, query, _ = strings.Cut(pathAndQuery, "?")
	if path == "" {
		path = "/"
	}
	return path, query, nil
}

// cutHTTPScheme removes a leading "http://" or "https://", in any case (schemes are
// case-insensitive, RFC 3986 §3.1).
func cutHTTPScheme(target string) (rest string, ok bool) {
	for _, scheme := range [...]string{"http://", "https://"} {
		if len(target) >= len(scheme) && strings.EqualFold(target[:len(scheme)], scheme) {
			return target[len(scheme):], true
		}
	}
	return "", false
}

// parseField reads one "Name: value" line. RFC 9112 §5 makes a server reject whitespace between
// the name and the colon (§5.1: it lets two parsers disagree on the name) and lets it reject
// obs-fold, a line continued by one starting with a space or tab; Tornado 3.2 accepted both.
func parseField(line string) (HeaderField, error) {
	if line[0] == ' ' || line[0] == '\t' {
		return HeaderField{}, fmt.Errorf("%w: folded header line %.64q", ErrBadRequest, line)
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return HeaderField{}, fmt.Errorf("%w: header line without a colon: %.64q", ErrBadRequest, line)
	}
	if strings.HasSuffix(name, " ") || strings.HasSuffix(name, "\t") {
		return HeaderField{}, fmt.Errorf("%w: whitespace before the colon in %.64q", ErrBadRequest, line)
	}
	if !isToken(name) {
		return HeaderField{}, fmt.Errorf("%w: invalid field name %.64q", ErrBadRequest, name)
	}
	value = strings.Trim(value, " \t")
	for i := 0; i < len(value); i++ {
		// Control bytes other than tab are refused: a NUL or a lone CR is read differently by
		// different parsers. Bytes from 0x80 up (obs-text) are allowed, as RFC 9110 §5.5 does.
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return HeaderField{}, fmt.Errorf("%w: invalid byte %#02x in field value of %.64q", ErrBadRequest, c, name)
		}
	}
	return HeaderField{Name: name, Value: value}, nil
}

// isToken reports whether s is a non-empty RFC 9110 token: the bytes allowed in methods and
// field names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// interpretFields applies the fields this server acts on: Host, Transfer-Encoding,
// Content-Length and Connection.
func (r *Request) interpretFields() error {
	var hosts int
	var transferEncoding, contentLength string
	var hasTE, hasCL, sawClose, sawKeepAlive bool
	for _, f := range r.Header {
		switch {
		case strings.EqualFold(f.Name, "Host"):
			hosts++
		case strings.EqualFold(f.Name, "Transfer-Encoding"):
			transferEncoding, hasTE = f.Value, true
		case strings.EqualFold(f.Name, "Content-Length"):
			// Repeats are tolerated only when identical, as net/http does (RFC 9110 §8.6 allows
			// either that or rejection); two different lengths are a smuggling attempt.
			if hasCL && f.Value != contentLength {
				return fmt.Errorf("%w: differing Content-Length values %.32q and %.32q", ErrBadRequest, contentLength, f.Value)
			}
			contentLength, hasCL = f.Value, true
		case strings.EqualFold(f.Name, "Connection"):
			c, k := connectionOptions(f.Value)
			sawClose, sawKeepAlive = sawClose || c, sawKeepAlive || k
		}
	}
	// RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0, else 400.
	if hosts > 1 {
		return fmt.Errorf("%w: %d Host fields", ErrBadRequest, hosts)
	}
	if hosts == 0 && r.Version == "HTTP/1.1" {
		return fmt.Errorf("%w: HTTP/1.1 request without a Host field", ErrBadRequest)
	}
	if hasTE {
		return fmt.Errorf("%w: Transfer-Encoding %.32q (bodies are framed by Content-Length only)", ErrNotImplemented, transferEncoding)
	}
	if hasCL {
		n, err := parseContentLength(contentLength)
		if err != nil {
			return err
		}
		r.ContentLength = n
	}
	r.KeepAlive = !sawClose && (r.Version == "HTTP/1.1" || sawKeepAlive)
	return nil
}

// parseContentLength accepts decimal digits only: no sign, no spaces, no list.
func parseContentLength(s string) (int64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%w: invalid Content-Length %.32q", ErrBadRequest, s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: Content-Length %.32q out of range", ErrBadRequest, s)
	}
	return n, nil
}

// connectionOptions looks for the close and keep-alive options in one Connection field, a
// comma-separated token list compared case-insensitively.
func connectionOptions(value string) (sawClose, sawKeepAlive bool) {
	for value != "" {
		var option string
		option, value, _ = strings.Cut(value, ",")
		option = strings.Trim(option, " \t")
		sawClose = sawClose || strings.EqualFold(option, "close")
		sawKeepAlive = sawKeepAlive || strings.EqualFold(option, "keep-alive")
	}
	return sawClose, sawKeepAlive
}

// CheckBodySize returns an error wrapping ErrBodyTooLarge when the request announces a body
// longer than limit bytes (MaxBodySize unless the server was configured otherwise). The server
// calls it before ReadBytes, so an oversized body is refused without being read.
func CheckBodySize(req *Request, limit int64) error {
	if req.ContentLength > limit {
		return fmt.Errorf("%w: Content-Length %d over the %d-byte limit", ErrBodyTooLarge, req.ContentLength, limit)
	}
	return nil
}

// AppendHead appends the request's head in wire form: the request line, each field as
// "Name: value", and the blank line. A head that ParseRequestHead accepted parses back to the
// same Request.
func (r *Request) AppendHead(dst []byte) []byte {
	dst = append(dst, r.Method...)
	dst = append(dst, ' ')
	dst = append(dst, r.Target...)
	dst = append(dst, ' ')
	dst = append(dst, r.Version...)
	dst = append(dst, "\r\n"...)
	for _, f := range r.Header {
		dst = append(dst, f.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, f.Value...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}
