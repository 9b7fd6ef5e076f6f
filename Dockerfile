# The twin CLI and (later) its workers and API, on the same image.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends git python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV TWIN_DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT ["node", "bin/twin.js"]
CMD ["--help"]
