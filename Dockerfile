# Magic Mirror in a container: the Streamlit app on port 8501, with the bundled model and its weight
# cache built into the image so that a new container serves its first page in seconds.
# Step by step, settings, volumes and locked-down networks: docs/deploy-docker.md.
#
#   docker build -t magic-mirror .
#   docker run --rm -p 8501:8501 magic-mirror
#
# Plain Dockerfile syntax (multi-stage, no BuildKit-only features): the legacy builder and BuildKit
# both build it, from Docker 17.05 on; `make docker-check` builds and tests it with Debian's docker.io.

# The base image. The default is the Python the pinned requirements are tested on (3.11.7), on Debian
# 12, as a full version tag, so a rebuild starts from the same interpreter. Any image with a python3
# of 3.11 (the pinned wheels are cp311), its venv module and pip will do, such as the one
# scripts/docker-base.sh makes from Debian's packages where no registry can be reached.
ARG BASE_IMAGE=python:3.11.7-slim-bookworm

# --- build stage: the venv. What a locked-down network needs for the install stays in this stage. ---
FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt ./
COPY scripts/install.sh scripts/
# Optional build inputs, in docker-build-extra/ (git ignores it; make docker-check fills it):
#   ca.crt    a CA bundle pip trusts, where a proxy re-signs TLS
#   wheels/   wheels pip looks at first, e.g. the CPU build of torch where its index is out of reach
# The wildcard lets the build go on without the folder (requirements.txt always matches).
COPY requirements.txt docker-build-extr[a] /tmp/extra/
# The same script `make setup` runs (and so CI), without --dev: no test tools in the image.
# torch's C++ headers serve only extensions compiled against it; the app compiles none.
RUN if [ -f /tmp/extra/ca.crt ]; then export PIP_CERT=/tmp/extra/ca.crt; fi \
 && if [ -d /tmp/extra/wheels ]; then export PIP_FIND_LINKS=/tmp/extra/wheels; fi \
 && bash scripts/install.sh --venv /app/.venv --python python3 \
 && rm -rf /app/.venv/lib/python3*/site-packages/torch/include

# --- the image: the venv, the app's files, the weight cache; nothing of the build stage's inputs. ---
FROM ${BASE_IMAGE}

# PATH: the venv built above. MIRROR_CACHE_DIR: the weight cache built below; MIRROR_DATABASE_URL:
# saved work and feedback, on /data (mount a volume there to keep them). No file watcher: the code in
# an image never changes.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/app/.venv/bin:$PATH \
    MIRROR_CACHE_DIR=/opt/magic-mirror/cache \
    MIRROR_DATABASE_URL=sqlite:////data/mirror.sqlite3 \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

# The app runs as this user, never as root. uid/gid 10001 is what deploy/k8s runs the pods as; a
# Hugging Face Docker Space runs its container as uid 1000 (`make space-streamlit` sets that default).
ARG APP_UID=10001
RUN groupadd --system --gid ${APP_UID} mirror \
 && useradd --system --uid ${APP_UID} --gid mirror --create-home --home-dir /home/mirror \
      --shell /usr/sbin/nologin mirror \
 && install -d -o mirror -g mirror /opt/magic-mirror/cache /data

WORKDIR /app

# Dependencies first, so a code change does not copy torch again.
COPY --from=build /app/.venv /app/.venv

# The app's own files only (never the build inputs), owned by root: the app user can read them but
# not change them.
COPY Home.py requirements.txt ./
COPY app_pages app_pages/
COPY mirror mirror/
COPY .streamlit/config.toml .streamlit/
COPY scripts/warm-cache.sh scripts/
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
