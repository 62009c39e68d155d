"""The article's Python gateway: Flask, served by Gunicorn (gunicorn.conf.py), checking RS256."""

from __future__ import annotations

from flask import Flask, Response, request
from jwtcheck import check

app = Flask(__name__)


@app.get("/api/check")
def api_check() -> Response:
    status, body = check(request.headers.get("Authorization"))
    response = Response(body, status=status, mimetype="application/json")
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


@app.get("/healthz")
def healthz() -> Response:
    return Response(b'{"status":"ok"}', mimetype="application/json")
