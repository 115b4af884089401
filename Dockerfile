# Magic Mirror in a container: the Streamlit app on port 8501, with the bundled model and its weight
# cache built into the image so that a new container serves its first page in seconds.
# Step by step, settings and volumes: docs/deploy-docker.md.
#
#   docker build -t magic-mirror .
#   docker run --rm -p 8501:8501 magic-mirror

# The Python the pinned requirements are tested on (3.11.7), on Debian 12. A full version tag, so a
# rebuild starts from the same interpreter.
FROM python:3.11.7-slim-bookworm

# PATH: the venv that scripts/install.sh creates, as `make setup` does.
# MIRROR_CACHE_DIR: the weight cache built below; MIRROR_DATABASE_URL: saved work and feedback, on
# /data (mount a volume there to keep them). No file watcher: the code in an image never changes.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/app/.venv/bin:$PATH \
    MIRROR_CACHE_DIR=/opt/magic-mirror/cache \
    MIRROR_DATABASE_URL=sqlite:////data/mirror.sqlite3 \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

# The app runs as this user, never as root. uid/gid 10001 is what deploy/k8s runs the pods as.
RUN groupadd --system --gid 10001 mirror \
 && useradd --system --uid 10001 --gid mirror --create-home --home-dir /home/mirror \
      --shell /usr/sbin/nologin mirror \
 && install -d -o mirror -g mirror /opt/magic-mirror/cache /data

WORKDIR /app

# Dependencies in a layer of their own, so a code change does not reinstall torch. The same script
# `make setup` runs (and so CI), without --dev: no test tools in the image.
COPY requirements.txt ./
COPY scripts/install.sh scripts/
RUN bash scripts/install.sh --venv /app/.venv --python python3

# The app, owned by root: the app user can read it but not change it.
COPY . .
RUN python -m compileall -q Home.py app_pages mirror

USER mirror

# The bundled model's weight cache (unpacked GGUF -> safetensors, ~520 MB), built now instead of at
# the first page view; the script fails the build unless a second load comes from the cache.
RUN bash scripts/warm-cache.sh

EXPOSE 8501

# Streamlit's own health endpoint; slim images have no curl, so Python asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4); sys.exit(r.status != 200)"]

CMD ["streamlit", "run", "Home.py", "--server.address=0.0.0.0", "--server.port=8501"]
