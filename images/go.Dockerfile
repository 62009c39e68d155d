# A static Go binary FROM scratch: a Go builder stage, then nothing but the binary.
# BUILDER: an official golang tag, or the go-builder stand-in (cprofiler bases list).
ARG BUILDER=golang:1.22
FROM ${BUILDER} AS build
WORKDIR /src
COPY go.mod main.go ./
ENV CGO_ENABLED=0 GOCACHE=/tmp/go-cache GOFLAGS=-trimpath
RUN go build -ldflags="-s -w" -o /out/server .

FROM scratch
COPY --from=build /out/server /server
EXPOSE 8080
ENTRYPOINT ["/server"]
