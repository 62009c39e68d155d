# The article's Python gateways: Flask under Gunicorn (CMD below) or FastAPI under uvicorn (the
# scenario's command:), both with PyJWT + cryptography for RS256.
# BASE: an Ubuntu LTS tag, or the debian-python stand-in (glibc + Debian's python3 3.11). Not
# musl-python: cryptography's wheels are built for glibc (manylinux).
# The wheels come from python/wheels, fetched on the host by fetch-deps.sh; the bases have no pip,
# so install-wheels.py unpacks those that fit the base's python3 onto PYTHONPATH and the build
# compiles them to .pyc, as pip install would.
ARG BASE=ubuntu:24.04
FROM ${BASE}
RUN command -v python3 >/dev/null || { apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/*; }
COPY wheels/ /tmp/wheels/
COPY install-wheels.py /tmp/
RUN python3 /tmp/install-wheels.py /tmp/wheels /opt/site-packages \
    && rm -rf /tmp/wheels /tmp/install-wheels.py && python3 -m compileall -q /opt/site-packages
COPY app/ /app/
RUN python3 -m compileall -q /app
WORKDIR /app
ENV PYTHONPATH=/opt/site-packages PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
EXPOSE 8080
CMD ["python3", "-m", "gunicorn", "--config", "/app/gunicorn.conf.py", "flask_app:app"]
