# syntax=docker/dockerfile:1
# jwt-oidc: build in one stage, install the production dependencies in another, and run the
# compiled service as an unprivileged user in a third. test/e2e/production-install.test.ts
# runs these steps without Docker (the deps and runtime stages' files, `npm ci --omit=dev`, each
# mode through a login), so a dependency missing from package.json fails a test, not the image.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/resource/package.json ./packages/resource/
COPY packages/apollo/package.json ./packages/apollo/
COPY packages/express/package.json ./packages/express/
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY packages ./packages
COPY src ./src
COPY migrations ./migrations
# The build copies the GraphQL IDE's files (devDependencies) into dist/assets/graphiql and
# builds the admin console and the account page (console/, with Vite, a devDependency) into
# dist/console.
COPY console ./console
COPY scripts/copy-graphiql.ts scripts/console-build.ts ./scripts/
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/resource/package.json ./packages/resource/
COPY packages/apollo/package.json ./packages/apollo/
COPY packages/express/package.json ./packages/express/
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
# Strict defaults: production mode (no GraphQL introspection, https issuer, required secrets).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    JWT_OIDC_DATA_DIR=/var/lib/jwt-oidc
WORKDIR /app
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/packages ./packages
COPY --from=build /app/packages/resource/dist ./packages/resource/dist
COPY --from=build /app/packages/apollo/dist ./packages/apollo/dist
COPY --from=build /app/packages/express/dist ./packages/express/dist
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY schema ./schema
RUN mkdir -p /var/lib/jwt-oidc && chown node:node /var/lib/jwt-oidc
# The image's unprivileged "node" user (uid 1000): never root.
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM goes straight to node (exec form), which drains requests and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/jwt-oidc.js"]
CMD ["serve"]
