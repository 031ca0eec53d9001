// Package bookeditions keeps the book's two editions in step: every Markdown page of book/ has a
// Chinese twin under book/zh/ with the same sections, code excerpts, result tables, figures and
// code blocks, in the same order. The prose is translated; what is shared is checked, so a change
// to one edition that is not made to the other fails `go test ./...`.
package bookeditions
