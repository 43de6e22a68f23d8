# The mock as a CI service image. Build it as it is (docker build -t mockserver .), or with
# `make image`, which also builds on another Python base: --build-arg BASE_IMAGE=... (any image
# with python3 and its venv module at the same path in both stages).
ARG BASE_IMAGE=python:3.11-slim

# Stage 1: the package and its dependencies, installed into a venv of their own. Wheels from
# .wheels/ (`make image` builds them on the host) are used when present, with no index; otherwise
# pip fetches them. Nothing of this stage but the venv reaches the image.
FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
COPY . /src
RUN python3 -m venv /opt/mockserver \
    && if ls /src/.wheels/*.whl >/dev/null 2>&1; then \
         /opt/mockserver/bin/pip install --no-index --find-links /src/.wheels mockserver; \
       else \
         /opt/mockserver/bin/pip install /src; \
       fi \
    && /opt/mockserver/bin/pip uninstall --yes pip \
    && find /opt/mockserver -name '__pycache__' -prune -exec rm -rf {} +

# Stage 2: the venv on a clean base, run by a user of its own. The specs and fixtures ship inside
# the package (mockserver/_data), so the image holds no source tree.
FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
# Where the source lives: `make image` passes the repository's remote URL.
ARG SOURCE=""
LABEL org.opencontainers.image.title="mockserver" \
      org.opencontainers.image.description="A mock of chatbot-analytics vendor APIs for contract tests" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /opt/mockserver /opt/mockserver
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mock \
    && mkdir -p /data && chown mock /data
USER 10001
# Every option has a MOCKSERVER_* variable; inside a container the server listens on all interfaces.
# The server writes the URL it answers at to MOCKSERVER_READY_FILE, so the health check probes the
# port it really listens on, whether set by MOCKSERVER_PORT or by a --port argument. With a
# read-only root filesystem, /tmp must be writable (docker run --read-only --tmpfs /tmp).
ENV MOCKSERVER_HOST=0.0.0.0 MOCKSERVER_PORT=8000 MOCKSERVER_READY_FILE=/tmp/mockserver.url PYTHONDONTWRITEBYTECODE=1 PATH=/opt/mockserver/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# A volume for --state sqlite:///data/state.db: jobs and written resources survive a restart.
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s \
    CMD /opt/mockserver/bin/mockserver wait --url-file "${MOCKSERVER_READY_FILE}" --timeout 2
# Exec form: the server is PID 1 and gets SIGTERM itself; it lets requests in flight finish.
ENTRYPOINT ["/opt/mockserver/bin/mockserver", "serve"]
