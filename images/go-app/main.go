// Sample Go HTTP service: GET /healthz answers 200; one line is logged when it is ready.
//
// The ready line carries CLOCK_MONOTONIC in nanoseconds, which containers share with the host,
// so cprofiler can tell the exact instant the service became ready. Built with CGO_ENABLED=0,
// it is a static binary that runs FROM scratch.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"unsafe"
)

func monotonicNs() int64 {
	var ts syscall.Timespec
	const clockMonotonic = 1
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Printf("ready monotonic_ns=%d\n", monotonicNs())
	if err := http.Serve(ln, mux); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}
