# hadoop-eco's server: `docker build -t hadoop-eco:0.1.0 .`, then deploy/kubernetes/.
# Two stages on the same base, so the native module built in the first (better-sqlite3) runs in
# the second.

FROM node:20-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The server (dist/) and the web console (dist/web), then only the runtime dependencies.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production \
  HADOOP_ECO_HOST=0.0.0.0 \
  HADOOP_ECO_PORT=8080 \
  HADOOP_ECO_DATA_DIR=/var/lib/hadoop-eco
WORKDIR /app
# A user of its own, with no shell; the code belongs to root and is read-only to it.
RUN groupadd --system --gid 10001 hadoop-eco \
  && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/hadoop-eco --shell /usr/sbin/nologin hadoop-eco \
  && mkdir -p /var/lib/hadoop-eco \
  && chown 10001:10001 /var/lib/hadoop-eco
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/node_modules ./node_modules
USER 10001
EXPOSE 8080
CMD ["node","bin/hadoop-eco.js","serve","--host","0.0.0.0"]
