# One image for every twin process: the API (`serve`), the pipeline workers (`worker feature|training|
# inference`) and one-off CLI commands. docker-compose.yml runs them with TWIN_ENV=production.
FROM node:20-bookworm-slim
# git: the repository crawler; python3/make/g++: better-sqlite3 builds from source when no prebuilt fits.
RUN apt-get update && apt-get install -y --no-install-recommends git python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts run only for the packages package.json's allowScripts approves (better-sqlite3).
# npm before 11.16 ignores allowScripts, so onnxruntime-node is also told here to skip its CUDA
# download (its CPU binary ships in the package).
ENV ONNXRUNTIME_NODE_INSTALL=skip
# Runtime dependencies only (tsx runs the TypeScript sources; tests and tooling stay out).
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV TWIN_DATA_DIR=/data NODE_ENV=production
VOLUME ["/data"]
EXPOSE 8787
ENTRYPOINT ["node", "bin/twin.js"]
CMD ["--help"]
