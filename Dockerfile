# syntax=docker/dockerfile:1
# One image recipe for every Keyward app; docker-compose.yml picks the app with the APP build arg.
# The apps run from their TypeScript source through @swc-node/register (a devDependency), so the
# image installs the full dependency tree rather than a production-only one.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim AS app
ARG APP
RUN test -n "$APP" || { echo "build arg APP is required, e.g. --build-arg APP=keys" >&2; exit 1; }
ENV APP=$APP \
    SWC_NODE_PROJECT=tsconfig.base.json
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN test -f "apps/$APP/src/main.ts" || { echo "apps/$APP/src/main.ts not found" >&2; exit 1; }
USER node
# exec: node replaces the shell, so it receives the container's signals.
CMD ["sh", "-c", "exec node -r @swc-node/register \"apps/$APP/src/main.ts\""]
