// The router table's Echo row: GET /hello answers {"message":"hello"} (echo.New(), no middleware,
// no banner: no per-request log line, as net/http and Gin write none).
package main

import (
	"net/http"

	"cprofiler.example/ready"
	"github.com/labstack/echo/v4"
)

func main() {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/hello", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"message": "hello"}) })
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	ready.Serve(e)
}
