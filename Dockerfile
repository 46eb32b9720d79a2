# The service in a small image: built with the Rust toolchain, run on a slim
# Debian as an unprivileged user. `docker build -t sipas .`
# Data, the service key included, lives in the volume /var/lib/sipas.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin sipas \
 && strip target/release/sipas

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/sipas --create-home sipas
COPY --from=build /src/target/release/sipas /usr/local/bin/sipas
COPY examples /usr/share/sipas/examples
USER sipas:sipas
WORKDIR /var/lib/sipas
ENV DATABASE_URL=sqlite:///var/lib/sipas/sipas.db \
    SIPAS_LOG_FORMAT=json
VOLUME ["/var/lib/sipas"]
EXPOSE 8080
# SIGTERM lets answers in flight finish before the process ends.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/sipas"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
