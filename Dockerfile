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
    MONITOR_DATABASE_URL=sqlite:////data/monitor.db \
    MONITOR_LISTEN=0.0.0.0:8080
USER monitor
VOLUME /data
EXPOSE 8080
# The console's /healthz: 200 while the service and its database answer (the image has no curl).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/healthz', timeout=5)"]
CMD ["monitor", "run"]
