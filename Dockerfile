# Wheelhouse: one binary for the embedded default and for cluster nodes.
FROM swift:6.2-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev zlib1g-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product wheelhouse --static-swift-stdlib \
 && cp "$(swift build -c release --show-bin-path)/wheelhouse" /usr/local/bin/wheelhouse

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-0 zlib1g ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/wheelhouse --create-home wheelhouse
COPY --from=build /usr/local/bin/wheelhouse /usr/local/bin/wheelhouse
USER wheelhouse
WORKDIR /var/lib/wheelhouse
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=2s CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["wheelhouse"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--data", "/var/lib/wheelhouse"]
