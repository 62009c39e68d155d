# The GIL claim's batch job (gil/cpu.py), standard library only.
# BASE: an Ubuntu LTS tag, or the debian-python stand-in (Debian's python3 3.11).
ARG BASE=ubuntu:24.04
FROM ${BASE}
RUN command -v python3 >/dev/null || { apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/*; }
COPY cpu.py /app/cpu.py
RUN python3 -m compileall -q /app
ENV PYTHONUNBUFFERED=1
CMD ["python3", "/app/cpu.py"]
