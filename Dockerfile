# syntax=docker/dockerfile:1
# sogs-ts image: build with the full toolchain, run on a slim Node LTS with production deps only.
#   docker build -t sogs .
# Base: Debian bookworm (glibc). better-sqlite3 downloads a prebuilt binary for linux glibc/x64 and
# arm64 at `npm ci` (prebuild-install), and sodium-native ships prebuilds inside its package; the
# build stage still has python3/make/g++ so a platform without a prebuild compiles from source.
# Build and runtime stages share the same Debian release and Node version, so the native addons
# built or downloaded in the first stage load in the second.
# Without access to the public registry, scripts/docker-local-base.sh makes local base images:
#   docker build --build-arg NODE_IMAGE=sogs-local-base:build --build-arg NODE_SLIM_IMAGE=sogs-local-base:slim ...
ARG NODE_IMAGE=node:22-bookworm
ARG NODE_SLIM_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
# Every folder tsconfig.json includes, or `tsc` fails on an import between them (checked by
# test/ops-docker.test.ts); the runtime stage takes only dist/src and dist/client.
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY client ./client
COPY test ./test
COPY bench ./bench
COPY scripts ./scripts
COPY docker/trim-node-modules.sh ./docker/
RUN npm run build \
 && npm prune --omit=dev \
 && sh docker/trim-node-modules.sh node_modules

FROM ${NODE_SLIM_IMAGE} AS runtime
# SOGS_DATA_DIR is left unset: docker/sogs-env.sh picks /data, or the seed's
# /session-open-group-server/target/release/data when something is mounted there.
# SOGS_PUBLIC_PORT: the host port the README publishes (-p 9999:80), used in derived join URLs.
ENV NODE_ENV=production \
    SOGS_HOST=0.0.0.0 \
    SOGS_PORT=80 \
    SOGS_PUBLIC_PORT=9999 \
    SOGS_USER=node
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/client ./dist/client
COPY bin ./bin
COPY docker/entrypoint.sh docker/sogs docker/sogs-env.sh docker/healthcheck.js ./docker/
# `sogs` on PATH for `docker exec sogs sogs --add-room ...` (a wrapper that runs the CLI as `node`
# on the same data folder as the server); the seed's `./session-open-group-server` works in its
# folder too. No key, database or data is created here: the server makes them on first start.
RUN chmod 0755 /app/bin/sogs.js /app/docker/entrypoint.sh /app/docker/sogs \
 && ln -s /app/docker/sogs /usr/local/bin/sogs \
 && ln -s /app/docker/sogs /usr/local/bin/session-open-group-server \
 && mkdir -p /session-open-group-server/target/release /data \
 && ln -s /app/docker/sogs /session-open-group-server/target/release/session-open-group-server \
 && chown node:node /data
# The entrypoint starts as root only to give the data folder to `node` and then drops to it
# (setpriv, util-linux); `docker run --user 1000` skips both.
VOLUME ["/data"]
EXPOSE 80
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/docker/healthcheck.js"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD []
