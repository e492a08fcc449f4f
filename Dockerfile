# One image for every CareLedger process; compose.yaml picks the sub-command.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
COPY services services
COPY shared shared
RUN pip install --no-cache-dir -r requirements.lock . \
 && useradd --system --home /app careledger
USER careledger
ENV CARELEDGER_DATA_DIR=/var/lib/careledger
ENTRYPOINT ["careledger"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
