// The article's gateway in Go: Gin, checking an RS256 JWT with golang-jwt, answering JSON.
//
// GET /api/check with "Authorization: Bearer <token>" answers 200 {"sub":…,"ok":true} when the
// token is signed RS256 by the private key of $JWT_PUBLIC_KEY (PEM) and has not expired, else 401
// {"error":…}; GET /healthz answers 200. The rules and answers are those of the Python apps in
// ../../../../python (tests/engine/test_article_examples.py sends all of them the same tokens).
//
// Gin in release mode with gin.New() and its Recovery middleware only: gin.Default() adds a
// Logger that writes a line per request, which under load would measure the terminal, not Gin.
package main

import (
	"crypto/rsa"
	"fmt"
	"net/http"
	"os"
	"strings"

	"cprofiler.example/ready"
	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v4"
)

func publicKey() *rsa.PublicKey {
	key, err := jwt.ParseRSAPublicKeyFromPEM([]byte(os.Getenv("JWT_PUBLIC_KEY")))
	if err != nil {
		fmt.Fprintln(os.Stderr, "JWT_PUBLIC_KEY must hold an RSA public key in PEM:", err)
		os.Exit(2)
	}
	return key
}

// check returns the status and JSON body for one Authorization header value.
func check(authorization string, key *rsa.PublicKey) (int, gin.H) {
	scheme, token, _ := strings.Cut(strings.TrimSpace(authorization), " ")
	if !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		return http.StatusUnauthorized, gin.H{"error": "missing token"}
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(strings.TrimSpace(token), claims, func(*jwt.Token) (interface{}, error) {
		return key, nil
	}, jwt.WithValidMethods([]string{"RS256"}))
	if err != nil {
		return http.StatusUnauthorized, gin.H{"error": "invalid token"}
	}
	if _, hasExp := claims["exp"]; !hasExp { // golang-jwt v4 accepts a token without exp; PyJWT is told to require it
		return http.StatusUnauthorized, gin.H{"error": "invalid token"}
	}
	return http.StatusOK, gin.H{"sub": claims["sub"], "ok": true}
}

func main() {
	gin.SetMode(gin.ReleaseMode)
	key := publicKey()
	router := gin.New()
	router.Use(gin.Recovery())
	router.GET("/api/check", func(c *gin.Context) {
		status, body := check(c.GetHeader("Authorization"), key)
		if status == http.StatusUnauthorized {
			c.Header("WWW-Authenticate", "Bearer")
		}
		c.JSON(status, body)
	})
	router.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	ready.Serve(router)
}
