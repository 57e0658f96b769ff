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

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/scimd /out/scimctl /usr/local/bin/
USER nonroot:nonroot
ENV SCIMD_LISTEN=0.0.0.0:8080 \
    SCIMD_METRICS_LISTEN=0.0.0.0:9090 \
    SCIMD_DATA_DIR=/var/lib/scimd
VOLUME /var/lib/scimd
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/scimd"]
