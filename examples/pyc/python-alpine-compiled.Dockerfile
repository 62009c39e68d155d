# python-alpine with the standard library compiled to .pyc at build time. The official python
# images delete every .pyc (their Dockerfile's `find … -name '*.pyc' … -exec rm`), so each cold
# start compiles what the app imports again; this variant measures what that costs.
ARG BASE=python:3.12-alpine
FROM ${BASE}
RUN python3 -m compileall -q -j 0 /usr/local/lib /usr/lib 2>/dev/null; python3 -c "import http.server"
COPY app.py /app/app.py
RUN python3 -m compileall -q /app
ENV PYTHONUNBUFFERED=1
EXPOSE 8080
CMD ["python3", "/app/app.py"]
