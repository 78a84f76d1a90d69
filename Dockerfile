# Witness application image: every `witness` command (run, wall, camera, doctor, archive...).
# Dependencies come from requirements.lock (exact pins), then the package without deps.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# libglib2.0-0: OpenCV (headless) video decoding; tini: signals reach `witness` (clean stop);
# fonts-wqy-zenhei: the Chinese TrueType font embedded in witness records (PDF).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libglib2.0-0 tini fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY pyproject.toml README.md ./
COPY witness ./witness
COPY detectors ./detectors
COPY streams ./streams
COPY dashboards ./dashboards
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 witness \
    && mkdir -p /etc/witness

USER witness
WORKDIR /home/witness
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["witness", "--help"]
