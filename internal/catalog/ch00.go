package catalog

import "tornadotcp/internal/netecho"

func init() {
	register(Entry{
		ID:      "ch00/net",
		Summary: "reference: Go's net package, a goroutine per connection (the baseline of every benchmark)",
		Listen:  listener(netecho.Listen),
	})
}
