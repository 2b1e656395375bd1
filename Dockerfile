# probe-host: the host binary and the example probes in a small, non-root runtime image.
#   docker build -t probe-host .
#   docker run -p 9898:9898 -e POTATO_API_TOKEN=... --read-only --tmpfs /var/cache/probe-host probe-host

# Base images pinned to exact versions; pin them by digest in your own registry mirror.
FROM docker.io/library/rust:1.95.0-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-wasip2
COPY . .
RUN cargo build --release --locked -p probe-host --no-default-features \
 && cargo build --release --locked --target wasm32-wasip2 --manifest-path probes/Cargo.toml --target-dir target/probes

FROM docker.io/library/debian:12.12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin probe-host
# Compiled probes are cached here (mount an emptyDir to keep the root filesystem read-only).
RUN mkdir -p /var/cache/probe-host && chown 10001:10001 /var/cache/probe-host
ENV PROBE_HOST_CACHE_DIR=/var/cache/probe-host
COPY --from=build /src/target/release/probe-host /usr/local/bin/probe-host
COPY --from=build /src/target/probes/wasm32-wasip2/release/inventory.wasm /src/target/probes/wasm32-wasip2/release/silos.wasm /src/target/probes/wasm32-wasip2/release/orders.wasm /probes/
USER 10001:10001
VOLUME ["/probes", "/var/cache/probe-host"]
EXPOSE 9898
HEALTHCHECK --interval=30s --timeout=5s CMD ["/usr/local/bin/probe-host", "healthcheck", "--url", "http://127.0.0.1:9898/healthz"]
ENTRYPOINT ["/usr/local/bin/probe-host"]
CMD ["run", "--probes-dir", "/probes", "--api-url", "http://potato-api:8080/api/v0", "--web.listen-address", "0.0.0.0:9898"]
