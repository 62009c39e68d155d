# Python on Ubuntu LTS (glibc + apt) with the distribution's python3, serving the sample Python app.
# BASE: an Ubuntu LTS tag, or a Debian stand-in that already carries python3 (cprofiler bases list).
ARG BASE=ubuntu:24.04
FROM ${BASE}
RUN command -v python3 >/dev/null || { apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/*; }
COPY app.py /app/app.py
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
EXPOSE 8080
CMD ["python3", "/app/app.py"]
