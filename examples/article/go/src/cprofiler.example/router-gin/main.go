// The router table's Gin row: GET /hello answers {"message":"hello"} (release mode, gin.New():
// no per-request log line, as net/http and Echo write none).
package main

import (
	"net/http"

	"cprofiler.example/ready"
	"github.com/gin-gonic/gin"
)

func main() {
	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	router.GET("/hello", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"message": "hello"}) })
	router.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	ready.Serve(router)
}
