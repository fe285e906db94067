# The `reko` image: one binary for every role (`reko serve --role api|worker|all`).
# Build from the repository root: docker build -t reko .
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
# --locked: the image builds exactly what CI tested.
RUN cargo build --release --locked -p reko && cp target/release/reko /reko

FROM debian:bookworm-slim
# CA certificates for https S3 endpoints (AWS itself).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/reko --create-home reko
COPY --from=build /reko /usr/local/bin/reko
USER 10001
WORKDIR /var/lib/reko
EXPOSE 8080
# Listening beyond loopback needs REKO_ACCESS_KEY_ID / REKO_SECRET_ACCESS_KEY (or --config keys).
ENV REKO_LISTEN=0.0.0.0:8080 REKO_DATA_DIR=/var/lib/reko
ENTRYPOINT ["reko"]
CMD ["serve"]
