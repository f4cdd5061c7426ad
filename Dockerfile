# Build stage: compile the release binary with the locked dependency set.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY fixtures ./fixtures
COPY prompts ./prompts
COPY benches ./benches
RUN cargo build --release --locked --bin bino

# Runtime stage: a small Debian with CA certificates (TLS to eSIM Access, Meta, Stripe),
# the binary, and an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home bino
COPY --from=build /src/target/release/bino /usr/local/bin/bino
USER 10001
ENV BINO_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/bino"]
CMD ["serve"]
