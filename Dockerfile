# The SalesLedger image: one image, several roles (api, relay, projector), chosen by command.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md requirements.lock ./
COPY domain domain
COPY store store
COPY projections projections
COPY consumers consumers
COPY api api
# the versions CI tested (requirements.lock pins the test tools too; pip installs only what is needed)
RUN pip install --no-cache-dir -c requirements.lock .
ENV SALESLEDGER_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
CMD ["salesledger", "serve", "--host", "0.0.0.0", "--port", "8000"]
