# The delivery service in a container. Multi-stage: the build stage has the toolchain (better-sqlite3
# may compile) and installs the packed package exactly as scripts/install-packed.sh does (the same
# script the tests run); the runtime stage gets only that install. Not built in this project's CI (no
# image registry is reachable there): see docs/deploy.md for what is checked instead.
FROM node:24-bookworm AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && scripts/install-packed.sh /opt/perkville-destination

FROM node:24-bookworm-slim
RUN groupadd --system --gid 10001 perkville \
 && useradd --system --uid 10001 --gid perkville --home-dir /var/lib/perkville-destination perkville \
 && mkdir -p /var/lib/perkville-destination/data \
 && chown -R perkville:perkville /var/lib/perkville-destination
COPY --from=build /opt/perkville-destination /opt/perkville-destination
ENV NODE_ENV=production \
    PERKVILLE_HOST=0.0.0.0 \
    PERKVILLE_PORT=8080 \
    PERKVILLE_DATA_DIR=/var/lib/perkville-destination/data
USER perkville
WORKDIR /var/lib/perkville-destination
VOLUME ["/var/lib/perkville-destination/data"]
EXPOSE 8080
# Ready = storage takes writes and the service is not shutting down (/readyz answers 200).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PERKVILLE_PORT}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/opt/perkville-destination/node_modules/.bin/perkville-destination"]
CMD ["serve"]
