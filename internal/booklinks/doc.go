// Package booklinks checks the book's relative links: every link in book/**/*.md and README.md
// that points inside the repository names a file or directory that exists, and an #anchor names
// a heading of that file. Mirrors no Tornado function: it keeps the book honest as files move.
package booklinks
