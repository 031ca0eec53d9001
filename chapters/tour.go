// The tour: no arguments. Each chapter's lesson, run live on loopback and narrated.

package main

import "io"

func tour(stdout, stderr io.Writer) int {
	return 0
}
