# The article's Go servers (APP: gateway-gin, router-nethttp, router-gin or router-echo), each a
# static binary FROM scratch, all built by one command with the same flags.
# BUILDER: an official golang tag, or the go-builder stand-in (Debian's Go 1.22; cprofiler bases list).
# Gin 1.8.1, Echo 4.2.1, golang-jwt 4.4.3 and what they import come from Debian's source packages,
# unpacked on the host into go/gopath by fetch-deps.sh (nothing is downloaded while building), and
# are built in GOPATH mode: Go resolves an import such as github.com/labstack/echo/v4 to the folder
# of that name, where fetch-deps.sh puts the module that go.mod names so.
ARG BUILDER=golang:1.22
FROM ${BUILDER} AS build
ENV GO111MODULE=off GOPATH=/gopath CGO_ENABLED=0 GOCACHE=/tmp/go-cache GOFLAGS=-trimpath GOTOOLCHAIN=local
COPY gopath/ /tmp/gopath-in/
RUN test -d /tmp/gopath-in/src/github.com/gin-gonic/gin \
    || { echo "no Go packages in examples/article/go/gopath: run examples/article/fetch-deps.sh first" >&2; exit 1; }
COPY src/ /tmp/gopath-in/src/
# The tree is copied into one fresh folder before building: read through the layers of two COPY
# steps, fuse-overlayfs has been seen listing a file twice, which go build refuses ("case-insensitive
# file name collision"). Every app in one step, all built with the same flags.
RUN cp -a /tmp/gopath-in /gopath && cd /gopath/src \
    && go vet ./cprofiler.example/... && go build -ldflags="-s -w" -o /out/ ./cprofiler.example/...

FROM scratch
ARG APP=gateway-gin
COPY --from=build /out/${APP} /server
EXPOSE 8080
ENTRYPOINT ["/server"]
