# 抽查助手 (choucha): a static binary in a distroless image, run as a
# non-root user. Build: docker build -t choucha .
# Runs `serve` with /etc/choucha/config.yaml (deploy/config.compose.yaml:
# an external Redis); the WECOM_* secrets come from the environment.

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -ldflags='-s -w' -o /out/choucha . \
 && mkdir -p /out/seeds /out/data/media /out/data/spool \
 && cp seeds/changzhi-2023-plan.txt /out/seeds/

# distroless/static: CA certificates (for qyapi.weixin.qq.com) and a nonroot
# user (65532), no shell. Time zone data is built into the binary.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/choucha /usr/local/bin/choucha
COPY --from=build /out/seeds /app/seeds
COPY --from=build --chown=65532:65532 /out/data /var/lib/choucha
COPY deploy/config.compose.yaml /etc/choucha/config.yaml
WORKDIR /app
USER 65532:65532
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/choucha"]
CMD ["serve", "--config", "/etc/choucha/config.yaml"]
