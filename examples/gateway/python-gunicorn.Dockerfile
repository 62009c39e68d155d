# Gateway sample on gunicorn's gthread worker: the JWT check as a tiny WSGI app.
# BASE: an Ubuntu LTS tag, or the debian-python stand-in (glibc + Debian's python3). Not the
# musl-python stand-in: it has no ssl or _hashlib module, and gunicorn imports ssl.
# The wheels come from the context's wheels/ folder: run examples/gateway/fetch-wheels.sh on the
# host first (nothing is downloaded while building). They are pure Python, and the bases have no
# pip, so they are unpacked onto PYTHONPATH, which is all that installing a pure wheel does, and
# compiled to .pyc as pip install would.
ARG BASE=ubuntu:24.04
FROM ${BASE}
RUN command -v python3 >/dev/null || { apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/*; }
COPY wheels/ /tmp/wheels/
RUN set -e; ls /tmp/wheels/*.whl >/dev/null 2>&1 \
      || { echo "no wheels in examples/gateway/python-gunicorn/wheels: run examples/gateway/fetch-wheels.sh first" >&2; exit 1; }; \
    for w in /tmp/wheels/*.whl; do python3 -m zipfile -e "$w" /opt/site-packages; done; \
    rm -rf /tmp/wheels; python3 -m compileall -q /opt/site-packages
COPY app.py gunicorn.conf.py /app/
RUN python3 -m compileall -q /app
WORKDIR /app
ENV PYTHONPATH=/opt/site-packages PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
EXPOSE 8080
CMD ["python3", "-m", "gunicorn", "--config", "/app/gunicorn.conf.py", "app:application"]
