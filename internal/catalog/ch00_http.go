package catalog

import "tornadotcp/internal/nethttp"

func init() {
	register(Entry{
		ID:       "ch00/http",
		Summary:  "reference: Go's net/http helloworld, the HTTP baseline",
		Listen:   listener(nethttp.Listen),
		Protocol: "http",
	})
}
