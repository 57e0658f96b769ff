# syntax=docker/dockerfile:1
# Multi-stage build: a static scimd/scimctl (CGO off; the SQLite driver is pure Go) on a
# distroless base, running as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ ./cmd/scimd ./cmd/scimctl
# The data directory must exist in the image, owned by the nonroot user (65532): a new volume
# is initialised from it, so the embedded SQLite store can create scimd.db there.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/scimd /out/scimctl /usr/local/bin/
COPY --from=build --chown=65532:65532 /out/data /var/lib/scimd
USER nonroot:nonroot
ENV SCIMD_LISTEN=0.0.0.0:8080 \
    SCIMD_METRICS_LISTEN=0.0.0.0:9090 \
    SCIMD_DATA_DIR=/var/lib/scimd
VOLUME /var/lib/scimd
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/scimd"]
