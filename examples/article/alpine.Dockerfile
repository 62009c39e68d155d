# The article's own Alpine image: FROM alpine:3.18 and apk add --no-cache python3, serving the
# project's sample app (images/python-app/app.py). With the musl-python stand-in for alpine:3.18
# (no registry) python3 is already there, so apk is not run; the row says it is a stand-in.
ARG BASE=alpine:3.18
FROM ${BASE}
RUN command -v python3 >/dev/null || apk add --no-cache python3
COPY app.py /app/app.py
EXPOSE 8080
CMD ["python3", "/app/app.py"]
