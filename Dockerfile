# syntax=docker/dockerfile:1
# jwt-oidc: build in one stage, run the compiled service as an unprivileged user in another.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
# Strict defaults: production mode (no GraphQL introspection, https issuer, required secrets).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    JWT_OIDC_DATA_DIR=/var/lib/jwt-oidc
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY schema ./schema
RUN mkdir -p /var/lib/jwt-oidc && chown node:node /var/lib/jwt-oidc
# The image's unprivileged "node" user (uid 1000): never root.
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM goes straight to node (exec form), which drains requests and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/jwt-oidc.js"]
CMD ["serve"]
