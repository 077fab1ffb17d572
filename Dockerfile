# The SalesLedger image: one image, several roles (api, relay, projector), chosen by command.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY store store
COPY projections projections
COPY consumers consumers
COPY api api
RUN pip install --no-cache-dir .
ENV SALESLEDGER_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
CMD ["salesledger", "serve", "--host", "0.0.0.0", "--port", "8000"]
