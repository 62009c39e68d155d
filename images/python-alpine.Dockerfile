# Python on Alpine (musl + busybox), serving the sample Python app.
# BASE: an official python:*-alpine tag, or a musl-python stand-in (cprofiler bases list).
ARG BASE=python:3.12-alpine
FROM ${BASE}
COPY app.py /app/app.py
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
EXPOSE 8080
CMD ["python3", "/app/app.py"]
