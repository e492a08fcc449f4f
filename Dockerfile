# One image for every CareLedger process; compose.yaml picks the sub-command.

# The web app, built by esbuild from its npm-locked sources (served by the service itself).
FROM node:20-slim AS web
WORKDIR /web
COPY services/cases/web/package.json services/cases/web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY services/cases/web/build.mjs ./
COPY services/cases/web/src src
RUN npm run build

FROM python:3.11-slim
WORKDIR /app
# The report's PDF embeds a CJK TrueType font (docs/report.md): WenQuanYi from Debian.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.lock pyproject.toml README.md ./
COPY services services
COPY shared shared
COPY --from=web /web/dist services/cases/web/dist
# The locked packages checked against their hashes, then the project itself (no more).
RUN pip install --no-cache-dir --require-hashes -r requirements.lock \
 && pip install --no-cache-dir --no-deps . \
 && useradd --system --home /app careledger
USER careledger
ENV CARELEDGER_DATA_DIR=/var/lib/careledger
ENTRYPOINT ["careledger"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
