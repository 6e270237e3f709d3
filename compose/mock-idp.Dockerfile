# Builds the mock-idp binary and runs it on a slim base (the image is a few MiB plus glibc).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p mock-idp

FROM debian:bookworm-slim
COPY --from=build /src/target/release/mock-idp /usr/local/bin/mock-idp
EXPOSE 8080
ENTRYPOINT ["mock-idp", "serve"]
