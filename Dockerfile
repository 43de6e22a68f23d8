# A slim image that installs the mock the way the README does (`make install`, then serve).
# Not built or run by this project's CI: its machines have no Docker engine.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 mock
WORKDIR /home/mock/app
COPY --chown=mock:mock . .
USER mock
RUN make install
# Every option has a MOCKSERVER_* variable; inside a container the server listens on all interfaces.
# The server writes the URL it answers at to MOCKSERVER_READY_FILE, so the health check probes the
# port it really listens on, whether set by MOCKSERVER_PORT or by a --port argument.
ENV MOCKSERVER_HOST=0.0.0.0 MOCKSERVER_PORT=8000 MOCKSERVER_READY_FILE=/tmp/mockserver.url
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s \
    CMD .venv/bin/mockserver wait --url-file "${MOCKSERVER_READY_FILE}" --timeout 2
ENTRYPOINT [".venv/bin/mockserver", "serve"]
