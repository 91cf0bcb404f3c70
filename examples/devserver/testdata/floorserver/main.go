// Command floorserver is the floor for BenchmarkStartupFirstJWKSByte: the
// least a Go program can do to answer a JWKS request after exec — listen
// on a loopback port, log the same "listening" line as the devserver and
// serve fixed bytes.
package main

import (
	"log/slog"
	"net"
	"net/http"
	"os"
)

func main() {
	body := []byte(`{"keys":[]}`)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(1)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	log.Info("listening", "url", "http://"+ln.Addr().String())
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
}
