# syntax=docker/dockerfile:1
# scim-harness as a container: a Rust builder stage, then a slim runtime that holds only the
# binary (the features are compiled into it) and a readable copy of them.
#
#   docker build -t scim-harness .
#   docker run --rm --network host --user "$(id -u):$(id -g)" -v "$PWD:/work" -e SCIM_TOKEN \
#     scim-harness conformance --config scim-harness.toml --junit reports/conformance.xml
#
# The build stage has no .git (see .dockerignore), so `--version` names the commit "unknown".

# The crate's minimum Rust version (Cargo.toml rust-version); Cargo.lock is resolved for it.
FROM rust:1.88-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin scim-harness \
    && install -m 0755 target/release/scim-harness /usr/local/bin/scim-harness

FROM debian:bookworm-slim
# TLS roots for https:// targets (rustls reads the system store), taken from the build stage
# so the runtime needs no package manager run.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/local/bin/scim-harness /usr/local/bin/scim-harness
# A copy of the built-in features to read, or to edit and pass with --features.
RUN scim-harness features export /usr/share/scim-harness/features \
    && groupadd --system --gid 10001 scim \
    && useradd --system --uid 10001 --gid scim --create-home --home-dir /home/scim scim \
    && install -d -o 10001 -g 10001 /work
# A numeric user, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["scim-harness"]
CMD ["--help"]
