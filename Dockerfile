# syntax=docker/dockerfile:1
#
# mturk-local in a container. Written and checked by reading only: no Docker
# engine runs on the machines this project is built on (see README, "Docker").
#
#   docker build -t mturk-local .
#   docker run --rm -p 127.0.0.1:8099:8099 -e MTURK_LOCAL_CONTROL__TOKEN=change-me \
#       -v mturk-local-data:/data mturk-local
#   docker inspect --format '{{.State.Health.Status}}' <container>   # healthy
#
# Inside the container the server listens on 0.0.0.0, which is not loopback, so
# the /_local control plane (worker simulator, clock, reset) is off unless
# MTURK_LOCAL_CONTROL__TOKEN is set; requests to it then need
# "Authorization: Bearer <token>".

# ---- build -----------------------------------------------------------------
FROM rust:1-slim-bookworm AS build
WORKDIR /src
# The whole repository (minus .dockerignore): config/default.toml is compiled in
# with include_str!, migrations/ with include_str! (SQLite) and sqlx::migrate!
# (PostgreSQL), and Cargo.toml names
# targets (benches/) whose files must exist even for a plain build.
COPY . .
# SQLite and the mimalloc allocator are built from source with the image's C
# compiler; nothing links OpenSSL.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && install -m 0755 target/release/mturk-local /usr/local/bin/mturk-local

# ---- run -------------------------------------------------------------------
FROM debian:bookworm-slim
# No packages are installed: nothing in the binary speaks TLS (`cargo tree -e normal`
# lists no rustls, native-tls or openssl, and sqlx has no TLS feature), so
# ca-certificates would be unused. useradd comes with the base image (package
# passwd, priority required).
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home mturk \
    && mkdir -p /data \
    && chown mturk:mturk /data
COPY --from=build /usr/local/bin/mturk-local /usr/local/bin/mturk-local
# Settings by environment, not flags, so that `mturk-local healthcheck` (a
# separate process) reads the same listen address as the server: it checks
# http://<MTURK_LOCAL_SERVER__LISTEN>/health, 0.0.0.0 meaning 127.0.0.1. Change
# the port with -e MTURK_LOCAL_SERVER__LISTEN=0.0.0.0:PORT, not with --listen.
ENV MTURK_LOCAL_SERVER__LISTEN=0.0.0.0:8099 \
    MTURK_LOCAL_DATABASE__URL=sqlite:/data/mturk-local.db
USER mturk
WORKDIR /data
# Declared after the chown above, so a new named volume starts owned by mturk.
VOLUME /data
EXPOSE 8099
# GET /health answers 200 while the store answers; exit 1 (unhealthy) otherwise.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/mturk-local", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/mturk-local"]
# Serves with the settings above. Arguments replace this (e.g. `--in-memory
# --id-seed 1`, or another subcommand such as `sign ...`).
CMD ["serve"]
