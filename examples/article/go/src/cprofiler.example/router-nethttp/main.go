// The router table's net/http row: GET /hello answers {"message":"hello"}, the standard library's
// ServeMux and encoding/json, as the Gin and Echo rows do with theirs (same body, same port).
package main

import (
	"encoding/json"
	"net/http"

	"cprofiler.example/ready"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]string{"message": "hello"})
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	ready.Serve(mux)
}
