# Gateway sample in Go, standard library only: a static binary FROM scratch.
# BUILDER: an official golang tag, or the go-builder stand-in (Debian's Go 1.19; cprofiler bases list).
# GOMAXPROCS is left to the runtime: the CPUs in the container's affinity mask. Go before 1.25
# does not read a cgroup CPU quota (--cpus), so under a quota it may run more threads than it
# has CPU time for; the load phase's CPU pinning (--cpuset-cpus) is seen.
ARG BUILDER=golang:1.22
FROM ${BUILDER} AS build
WORKDIR /src
COPY go.mod main.go ./
ENV CGO_ENABLED=0 GOCACHE=/tmp/go-cache GOFLAGS=-trimpath
RUN go vet . && go build -ldflags="-s -w" -o /out/gateway .

FROM scratch
COPY --from=build /out/gateway /gateway
EXPOSE 8080
ENTRYPOINT ["/gateway"]
