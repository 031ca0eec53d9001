// Package tests is the cross-chapter conformance suite: the same echo-protocol scenarios run
// against every server in the catalog (chapter 0's reference on Go's net package, then every
// chapter's servers), and each chapter's transcripts are compared with the previous chapter's.
//
// A transcript records, per client connection, what was sent, what came back and how the
// connection ended, with nothing in it that depends on ports or timing. Two servers that keep
// the echo protocol (book/00-preface.md) produce equal transcripts; where a difference is the
// lesson (the iterative server makes a second client wait), the suite asserts exactly that
// difference.
// Tornado's own tests check one stream at a time (tornado/test/iostream_test.py); this suite
// checks whole servers, the way the tutorial's readers use them.
//
// Everything but this comment lives in _test.go files: run it with `go test -race ./tests/`.
package tests
