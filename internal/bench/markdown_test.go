package bench

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTablesStructure(t *testing.T) {
	tables := Tables(sampleResults())
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Name)
	}
	if got, want := strings.Join(names, ","), "idle,idlecpu,pingpong,watchcost"; got != want {
		t.Fatalf("tables %s, want %s", got, want)
	}
	for _, tb := range tables {
		t.Run(tb.Name, func(t *testing.T) {
			lines := strings.Split(strings.TrimSuffix(tb.Markdown(), "\n"), "\n")
			if len(lines) != 2+len(tb.Rows) {
				t.Fatalf("%d lines, want header, separator and %d rows:\n%s", len(lines), len(tb.Rows), tb.Markdown())
			}
			// Every line has the same width and the same number of cells: the layout is stable.
			for i, l := range lines {
				if utf8.RuneCountInString(l) != utf8.RuneCountInString(lines[0]) {
					t.Errorf("line %d is %d wide, header %d:\n%s", i, utf8.RuneCountInString(l), utf8.RuneCountInString(lines[0]), tb.Markdown())
				}
				if got := cells(l); got != len(tb.Header) {
					t.Errorf("line %d has %d cells, want %d: %q", i, got, len(tb.Header), l)
				}
			}
			// Numbers are right-aligned, words left-aligned.
			sep := strings.Split(strings.Trim(lines[1], "|"), "|")
			for i, s := range sep {
				if right := strings.HasSuffix(strings.TrimSpace(s), ":"); right != tb.Right[i] {
					t.Errorf("column %q right-aligned = %v, want %v", tb.Header[i], right, tb.Right[i])
				}
			}
		})
	}
}

// cells counts a Markdown row's cells, not counting escaped bars.
func cells(line string) int {
	return strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") - 1
}

func TestTablesRows(t *testing.T) {
	tables := Tables(sampleResults())
	idle, pingPong, watch := tables[0], tables[2], tables[3]

	// Sizes together, servers in plan order within a size.
	var order []string
	for _, row := range idle.Rows {
		order = append(order, row[0]+" "+row[1])
	}
	if got, want := strings.Join(order, ", "), "ch00/net 100, ch01/threaded 100, ch00/net 1000, ch01/threaded 1000"; got != want {
		t.Errorf("idle rows: %s\nwant: %s", got, want)
	}
	died := idle.Rows[3]
	if died[2] != "612" || died[4] != dash || died[6] != "died (note 1)" {
		t.Errorf("died row = %q, want served 612, no RSS, and a pointer to the server's last words", died)
	}
	if len(idle.Notes) != 1 || !strings.HasPrefix(idle.Notes[0], "ch01/threaded, 1000 connections: died: exit status 2: runtime: program exceeds") {
		t.Errorf("idle notes = %q, want the server's last words, naming the row", idle.Notes)
	}
	if !strings.Contains(idle.notes(), `limit \| boom`) {
		t.Errorf("a '|' in a message is not escaped:\n%s", idle.notes())
	}
	if got := pingPong.Rows[0]; got[0] != "ch00/net" || got[1] != "1" || got[5] != "65.2" || got[6] != "0" || got[7] != "ok" {
		t.Errorf("first ping-pong row = %q", got)
	}
	if got := watch.Rows[0][1]; got != "0" {
		t.Errorf("watch-cost rows start at %s idle connections, want 0", got)
	}
}

func TestWriteMarkdown(t *testing.T) {
	rep := &Report{
		Machine: Machine{CPUs: 2, Kernel: "Linux 6.1", GoVersion: "go1.26", Date: "2026-01-02T03:04:05Z", ClockTicks: 100,
			Pinning: &Pinning{Applied: true, ServerCPU: 0, ClientCPU: 1, Note: "server on CPU 0, client on CPU 1"}},
		Quick: true, Rounds: 1, Summary: sampleResults(),
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"2026-01-02T03:04:05Z", "2 CPUs", "server on CPU 0, client on CPU 1", "quick run", "100 ticks/s",
		"\n### Idle connections\n\n| server ", "\n### Echo ping-pong, 64-byte lines\n\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	for _, tb := range Tables(rep.Summary) {
		if !strings.Contains(out, tb.Markdown()+tb.notes()) {
			t.Errorf("markdown lacks the %s table exactly as its own file has it", tb.Name)
		}
	}
}

// With the C floor in the results, the ping-pong table divides each server's CPU per message by
// the floor's at the same connection count; with nginx, the HTTP table divides requests per
// second by nginx's. Without them the tables keep their usual columns (TestTablesRows).
func TestTablesRatioColumns(t *testing.T) {
	pp := func(server string, conns int, cpu float64) Result {
		return Result{Server: server, Scenario: PingPong(conns), PingPong: &PingPongResult{Conns: conns, Messages: 1, CPUMicrosPerMsg: cpu}}
	}
	web := func(server string, rps float64) Result {
		return Result{Server: server, Scenario: HTTP(50), HTTP: &HTTPResult{Client: "wrk 4.1", Conns: 50, Requests: 1, PerSecond: rps}}
	}
	results := []Result{
		pp(CEpoll, 1, 25), pp(CEpoll, 100, 12.5), pp("ch03/epoll", 1, 28.75), pp("ch03/epoll", 100, 12.5),
		pp("ch00/net", 1000, 15), // no floor at 1,000
		{Server: "ch04/echo", Scenario: PingPong(1), Died: "exit status 2"},
		web(NginxHTTP, 40000), web("ch04/http", 38000),
	}
	tables := Tables(results)
	pingPong, httpTable := tables[0], tables[1]
	if pingPong.Name != "pingpong" || httpTable.Name != "http" {
		t.Fatalf("tables %s, %s", pingPong.Name, httpTable.Name)
	}
	if got := pingPong.Header[6]; got != "CPU ÷ c/epoll" || !pingPong.Right[6] {
		t.Errorf("ping-pong column 6 is %q, want the ratio to the C floor, right-aligned", got)
	}
	want := map[string]string{"c/epoll 1": "1.00", "ch03/epoll 1": "1.15", "ch04/echo 1": dash, "c/epoll 100": "1.00", "ch03/epoll 100": "1.00", "ch00/net 1000": dash}
	for _, row := range pingPong.Rows {
		if got := row[6]; got != want[row[0]+" "+row[1]] {
			t.Errorf("%s at %s connections: ratio %q, want %q", row[0], row[1], got, want[row[0]+" "+row[1]])
		}
		if len(row) != len(pingPong.Header) {
			t.Errorf("row %q has %d cells, header %d", row, len(row), len(pingPong.Header))
		}
	}
	if got := httpTable.Header[4]; got != "requests/s ÷ nginx/http" {
		t.Errorf("HTTP column 4 is %q, want the ratio to nginx", got)
	}
	if got := httpTable.Rows[1]; got[0] != "ch04/http" || got[3] != "38000" || got[4] != "0.95" {
		t.Errorf("ch04/http row = %q, want 38000 requests/s, 0.95 of nginx's", got)
	}
}
