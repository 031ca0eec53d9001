// Each chapter's view of the results: its own servers, the baselines and the chapter before,
// in Markdown tables the chapter embeds (book/results/ch0N-NAME.md), so that no chapter shows
// every server of the book.

package bench

import (
	"fmt"
	"slices"
	"strings"
)

// View is one chapter's tables and charts: Tables names which tables (Table.Name), Charts which
// charts (Chart.Name), and Servers which rows, by id or id prefix ("ch02/" is every chapter 2
// server). No Servers means every row.
type View struct {
	Chapter string // "ch02": the files are ch02-idle.md, ch02-watchcost-cpu.svg, ...
	Tables  []string
	Charts  []string
	Servers []string
}

// Baselines are the rows every chapter shows beside its own: Go's net package (ch00/net, and
// ch00/http for HTTP), the C floor, gnet, nginx and the real Tornado.
var Baselines = []string{"ch00/", CEpoll, GnetEcho, NginxHTTP, NginxHTTPS, "tornado/"}

// Views is the table of chapter views: a new chapter's tables are one line here (its own
// servers, then the previous chapter's; the baselines come with every view but chapter 7's,
// which compares every server). Chapter 5 keeps chapter 1's blocking servers and chapter 3's
// loop, the designs the tutorial says the non-blocking one beats. Chapter 3 also keeps ch01/threaded, the one-thread-per-
// connection server its text sets the loop against at 10,000 connections.
var Views = []View{
	{"ch01", []string{"idle", "pingpong"}, []string{"idle-rss", "pingpong-cpu"}, withBaselines("ch01/")},
	{"ch02", []string{"idle", "idlecpu", "pingpong", "watchcost"}, []string{"idlecpu", "watchcost-cpu"}, withBaselines("ch02/", "ch01/")},
	{"ch03", []string{"idle", "idlecpu", "pingpong", "watchcost"}, []string{"idle-rss", "pingpong-cpu", "watchcost-cpu"}, withBaselines("ch03/", "ch02/", "ch01/threaded")},
	{"ch04", []string{"idle", "pingpong", "http"}, []string{"idle-rss", "pingpong-cpu", "http-rps"}, withBaselines("ch04/", "ch03/")},
	{"ch05", []string{"scaling", "spread", "idle", "pingpong"}, []string{"idle-rss", "pingpong-cpu"}, withBaselines("ch05/", "ch01/threaded", "ch01/forked", "ch03/epoll")},
	{"ch06", []string{"tlspingpong", "handshake", "https"}, nil, withBaselines("ch06/")},
	{"ch07", []string{"stalled", "fairness"}, nil, nil},
}

func withBaselines(servers ...string) []string { return append(servers, Baselines...) }

// ranIn reports whether rep has a result of one of v's chapter's own servers (always, for a view
// of every server).
func (v View) ranIn(rep *Report) bool {
	return v.Servers == nil || slices.ContainsFunc(rep.Summary, func(r Result) bool { return strings.HasPrefix(r.Server, v.Chapter+"/") })
}

// shows reports whether the view has server's rows.
func (v View) shows(server string) bool {
	if v.Servers == nil {
		return true
	}
	return slices.ContainsFunc(v.Servers, func(p string) bool {
		return server == p || strings.HasSuffix(p, "/") && strings.HasPrefix(server, p)
	})
}

// ViewFiles renders each view's tables and charts from rep, keyed by file name (ch01-idle.md,
// ch01-idle-rss.svg). A table comes with a caption saying what ran the servers that are not the
// book's, and its notes. A chapter's view is left out when rep has none of the chapter's own
// servers (a run with -servers, or results older than the chapter): its tables would show only
// the servers it is compared with.
func ViewFiles(rep *Report) map[string][]byte {
	tables := Tables(rep.Summary)
	files := map[string][]byte{}
	for _, v := range Views {
		if !v.ranIn(rep) {
			continue
		}
		var mine []Result
		for _, r := range rep.Summary {
			if v.shows(r.Server) {
				mine = append(mine, r)
			}
		}
		for _, c := range Charts(mine) {
			if slices.Contains(v.Charts, c.Name) {
				files[v.Chapter+"-"+c.Name+".svg"] = c.SVG()
			}
		}
		for _, name := range v.Tables {
			i := slices.IndexFunc(tables, func(t Table) bool { return t.Name == name })
			if i < 0 {
				continue
			}
			t := tables[i].only(v.shows)
			if len(t.Rows) == 0 {
				continue
			}
			var b strings.Builder
			b.WriteString(caption(rep, t) + "\n\n")
			b.WriteString(t.Markdown())
			b.WriteString(t.notes())
			files[v.Chapter+"-"+name+".md"] = []byte(b.String())
		}
	}
	return files
}

// only is t with the rows whose server keep says to keep, and their notes renumbered.
func (t Table) only(keep func(server string) bool) Table {
	out := t
	out.Rows, out.Notes = nil, nil
	for _, row := range t.Rows {
		if !keep(row[0]) {
			continue
		}
		row = slices.Clone(row)
		last := len(row) - 1
		if n, ok := noteIndex(row[last]); ok {
			out.Notes = append(out.Notes, t.Notes[n-1])
			row[last] = noteRef(row[last], len(out.Notes))
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// caption is the line above a table: its title and, where it has the real Tornado's rows,
// what ran them, since that is not the Tornado this book mirrors. (bench.md says what ran the
// other peers.)
func caption(rep *Report, t Table) string {
	c := "*" + t.Title + ".*"
	var parts []string
	for _, r := range rep.Summary {
		if !isTornado(r.Server) || r.External == "" || !slices.ContainsFunc(t.Rows, func(row []string) bool { return row[0] == r.Server }) {
			continue
		}
		if part := fmt.Sprintf("`%s`: %s", r.Server, notTornado32(r.External)); !slices.Contains(parts, part) {
			parts = append(parts, part)
		}
	}
	if len(parts) > 0 {
		c += " " + strings.Join(parts, "; ") + "."
	}
	return c
}

// isTornado reports whether server is the real Tornado's.
func isTornado(server string) bool { return strings.HasPrefix(server, "tornado/") }

// notTornado32 says what ran the real Tornado's rows, without the interpreter's path, and that
// it is not the Tornado this book mirrors: "Tornado 6.2 on Python 3.11.2, on asyncio: not
// Tornado 3.2, which this book mirrors".
func notTornado32(external string) string {
	ran, _, _ := strings.Cut(strings.TrimSuffix(external, "."), " (")
	return ran + ", on asyncio: not Tornado 3.2, which this book mirrors"
}
