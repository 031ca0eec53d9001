// The list subcommand: every server id with its one-line description.

package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"tornadotcp/internal/catalog"
)

func list(stdout io.Writer) int {
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, e := range catalog.All() {
		fmt.Fprintf(w, "%s\t%s\n", e.ID, e.Summary)
	}
	w.Flush()
	return 0
}
