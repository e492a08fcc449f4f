# One image for every CareLedger process; compose.yaml picks the sub-command.

# The dashboard's charting library, installed by npm (served by the service itself).
FROM node:20-slim AS web
WORKDIR /web
COPY services/cases/web/package.json services/cases/web/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
COPY services services
COPY shared shared
COPY --from=web /web/node_modules services/cases/web/node_modules
# The locked packages checked against their hashes, then the project itself (no more).
RUN pip install --no-cache-dir --require-hashes -r requirements.lock \
 && pip install --no-cache-dir --no-deps . \
 && useradd --system --home /app careledger
USER careledger
ENV CARELEDGER_DATA_DIR=/var/lib/careledger
ENTRYPOINT ["careledger"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
