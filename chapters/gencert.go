// The gencert subcommand: a self-signed certificate and key for chapter 6's demos.

package main

import (
	"flag"
	"fmt"
	"io"

	"tornadotcp/internal/selfsigned"
)

func gencert(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chapters gencert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "write cert.pem and key.pem to `DIR` (made if missing)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "chapters gencert: unexpected arguments %q\n", fs.Args())
		return 2
	}
	cert, key, err := selfsigned.Write(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "chapters gencert: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "certificate %s\nkey %s\nrun: go run ./chapters run ch06/https -cert %s -key %s\n", cert, key, cert, key)
	return 0
}
