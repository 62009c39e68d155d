// Gateway sample in Go, standard library only: check an HS256 JWT, answer JSON.
//
// GET /api/check with "Authorization: Bearer <token>" answers 200 {"sub":…,"time_ms":…} when the
// token is signed with HMAC-SHA256 under $JWT_SECRET and has not expired, else 401 with
// {"error":…}; GET /healthz answers 200 for the readiness probe. The rules and answers are those
// of ../python-stdlib/app.py (tests/unit/test_gateway_jwt.py checks the Python ones). One line
// "ready monotonic_ns=<CLOCK_MONOTONIC ns>" is printed once the socket listens.
//
// net/http serves each connection on its own goroutine, and the runtime spreads goroutines over
// GOMAXPROCS threads, left at the runtime's default (the CPUs the process may run on).
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

const (
	apiPath = "/api/check"
	// A public test secret, stated in examples/gateway.yaml; set JWT_SECRET for anything real.
	defaultSecret = "cprofiler-gateway-test-secret-not-for-production"
)

// invalidToken says why a token was refused; it becomes the 401 answer's "error".
type invalidToken string

func (e invalidToken) Error() string { return string(e) }

// base64url segment: non-empty, ASCII letters, digits, '-' and '_' only.
func validSegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func jsonObject(segment string) (map[string]json.RawMessage, error) {
	raw, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		return nil, invalidToken("malformed token")
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal(raw, &object); err != nil || object == nil {
		return nil, invalidToken("malformed token")
	}
	return object, nil
}

// present reports whether a claim was given and is not JSON null (null counts as absent).
func present(raw json.RawMessage) bool { return raw != nil && string(raw) != "null" }

// number decodes a JSON number (never a string, boolean or null).
func number(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, false
	}
	var f float64
	return f, json.Unmarshal(raw, &f) == nil
}

// verifyJWT returns the "sub" claim (nil when absent) of an HS256 token signed with secret and
// valid at now. The signature is checked first, in constant time, over the segments as sent;
// alg must be HS256; exp is required and must lie after now; nbf, if given, not after it; sub,
// if given, must be a string.
func verifyJWT(token string, secret []byte, now time.Time) (*string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || !validSegment(parts[0]) || !validSegment(parts[1]) || !validSegment(parts[2]) {
		return nil, invalidToken("malformed token")
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	expected := base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(expected), []byte(parts[2])) {
		return nil, invalidToken("bad signature")
	}
	header, err := jsonObject(parts[0])
	if err != nil {
		return nil, err
	}
	var alg string
	if json.Unmarshal(header["alg"], &alg) != nil || alg != "HS256" {
		return nil, invalidToken("unsupported alg")
	}
	claims, err := jsonObject(parts[1])
	if err != nil {
		return nil, err
	}
	exp, expOK := number(claims["exp"])
	nbf, nbfOK := number(claims["nbf"])
	var sub *string
	if present(claims["sub"]) {
		sub = new(string)
		if json.Unmarshal(claims["sub"], sub) != nil {
			return nil, invalidToken("bad claims")
		}
	}
	if !expOK || present(claims["nbf"]) && !nbfOK {
		return nil, invalidToken("bad claims")
	}
	nowS := float64(now.UnixNano()) / 1e9
	if nowS >= exp {
		return nil, invalidToken("expired")
	}
	if nbfOK && nowS < nbf {
		return nil, invalidToken("not yet valid")
	}
	return sub, nil
}

type okBody struct {
	Sub    *string `json:"sub"`
	TimeMs int64   `json:"time_ms"`
}

type errorBody struct {
	Error string `json:"error"`
}

// checkRequest answers one GET /api/check: status, JSON body, WWW-Authenticate value or "".
func checkRequest(authorization string, secret []byte, now time.Time) (int, []byte, string) {
	scheme, token, _ := strings.Cut(strings.TrimSpace(authorization), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "bearer") || token == "" {
		return http.StatusUnauthorized, []byte(`{"error":"missing token"}`), "Bearer"
	}
	sub, err := verifyJWT(token, secret, now)
	if err != nil {
		body, _ := json.Marshal(errorBody{Error: err.Error()})
		return http.StatusUnauthorized, body, `Bearer error="invalid_token"`
	}
	body, _ := json.Marshal(okBody{Sub: sub, TimeMs: now.UnixMilli()})
	return http.StatusOK, body, ""
}

func reply(w http.ResponseWriter, status int, body []byte, challenge string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if challenge != "" {
		h.Set("WWW-Authenticate", challenge)
	}
	w.WriteHeader(status)
	w.Write(body)
}

func monotonicNs() int64 {
	var ts syscall.Timespec
	const clockMonotonic = 1
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

func main() {
	secret := []byte(defaultSecret)
	if s, ok := os.LookupEnv("JWT_SECRET"); ok {
		secret = []byte(s)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	mux := http.NewServeMux()
	mux.HandleFunc(apiPath, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			reply(w, http.StatusMethodNotAllowed, []byte(`{"error":"method not allowed"}`), "")
			return
		}
		status, body, challenge := checkRequest(r.Header.Get("Authorization"), secret, time.Now())
		reply(w, status, body, challenge)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, []byte(`{"status":"ok"}`), "")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusNotFound, []byte(`{"error":"not found"}`), "")
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
