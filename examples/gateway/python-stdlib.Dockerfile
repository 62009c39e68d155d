# Gateway sample on the Python standard library alone (http.server, hmac, hashlib, json).
# BASE: an Ubuntu LTS tag, or the debian-python stand-in (glibc + Debian's python3). Not the
# musl-python stand-in: it has no ssl or _hashlib (OpenSSL) module, so hmac would fall back to
# its pure-Python HMAC over the builtin SHA-256: slower than any Python gateway people deploy.
ARG BASE=ubuntu:24.04
FROM ${BASE}
RUN command -v python3 >/dev/null || { apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/*; }
# Run as a script, as the sample images do (a script is compiled at each start, a few ms for this
# one; the standard library comes compiled with Debian's python3).
COPY app.py /app/app.py
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
EXPOSE 8080
CMD ["python3", "/app/app.py"]
