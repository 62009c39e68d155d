// The router table's Gin row: GET /hello answers {"message":"hello"} (release mode, gin.New():
// no per-request log line, as net/http and Echo write none).
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"

	"cprofiler.example/ready"
	"github.com/gin-gonic/gin"
)

func main() {
	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	router.GET("/hello", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"message": "hello"}) })
	router.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	ln, err := net.Listen("tcp", ":8080")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	ready.Print()
	if err := http.Serve(ln, router); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}
