# syntax=docker/dockerfile:1
# sogs-ts image: build with the full toolchain, run on a slim Node LTS with production deps only.
#   docker build -t sogs .
# Base: Debian bookworm (glibc). better-sqlite3 downloads a prebuilt binary for linux glibc/x64 and
# arm64 at `npm ci` (prebuild-install), and sodium-native ships prebuilds inside its package; the
# build stage still has python3/make/g++ so a platform without a prebuild compiles from source.
# Build and runtime stages share the same Debian release and Node version, so the native addons
# built or downloaded in the first stage load in the second.

FROM node:22-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY client ./client
COPY test ./test
COPY bench ./bench
RUN npm run build \
 && npm prune --omit=dev

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SOGS_DATA_DIR=/data \
    SOGS_HOST=0.0.0.0 \
    SOGS_PORT=80
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/client ./dist/client
COPY bin ./bin
COPY docker/entrypoint.sh docker/healthcheck.js ./docker/
# `sogs` on PATH for `docker exec sogs sogs --add-room ...`; the data folder is the volume.
# No key, database or data is created here: the server makes them inside /data on first start.
RUN chmod 0755 /app/bin/sogs.js /app/docker/entrypoint.sh \
 && ln -s /app/bin/sogs.js /usr/local/bin/sogs \
 && ln -s /app/bin/sogs.js /usr/local/bin/session-open-group-server \
 && mkdir -p /data \
 && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 80
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/docker/healthcheck.js"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD []
