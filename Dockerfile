# syntax=docker/dockerfile:1
#
# mturk-local in a container. Written and checked by reading only: no Docker
# engine runs on the machines this project is built on (see README, "Docker").
#
#   docker build -t mturk-local .
#   docker run --rm -p 127.0.0.1:8099:8099 -e MTURK_LOCAL_CONTROL__TOKEN=change-me \
#       -v mturk-local-data:/data mturk-local
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
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home mturk \
    && mkdir -p /data \
    && chown mturk:mturk /data
COPY --from=build /usr/local/bin/mturk-local /usr/local/bin/mturk-local
USER mturk
WORKDIR /data
EXPOSE 8099
ENTRYPOINT ["/usr/local/bin/mturk-local"]
# Default arguments; replace them (e.g. with a postgres:// URL, as
# docker-compose.yml does) or run another subcommand (`sign ...`).
CMD ["--listen", "0.0.0.0:8099", "--database", "sqlite:/data/mturk-local.db"]
