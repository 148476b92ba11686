FROM python:3.11-slim
# Runs as an unprivileged user; the SQLite default lives in the /data volume.
RUN useradd --create-home --uid 10001 monitor && mkdir /data && chown monitor /data
WORKDIR /app
COPY constraints.txt pyproject.toml README.md ./
COPY monitor ./monitor
# constraints.txt pins every dependency to the versions the tests ran with (pip freeze).
RUN pip install --no-cache-dir --constraint constraints.txt .
COPY config ./config
ENV MONITOR_CONFIG=/app/config/monitor.toml \
    MONITOR_DATABASE_URL=sqlite:////data/monitor.db
USER monitor
VOLUME /data
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["monitor", "health"]
CMD ["monitor", "run"]
