# The article's Ubuntu image, written as the Alpine one is: FROM ubuntu:22.04 and apt-get install
# python3, serving the project's sample app (images/python-app/app.py). With the debian-python
# stand-in (no registry) python3 is already there; the row says it is a stand-in.
ARG BASE=ubuntu:22.04
FROM ${BASE}
RUN command -v python3 >/dev/null || { apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/*; }
COPY app.py /app/app.py
EXPOSE 8080
CMD ["python3", "/app/app.py"]
