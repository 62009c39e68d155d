"""The asyncio answer: FastAPI under uvicorn (uvloop, httptools), one process, the same RS256 check.

The handlers are ``async def``, as FastAPI's documentation writes them: each runs on the event
loop itself, so the RSA verify (CPU work that never awaits) holds the loop while it runs, as it
holds the GIL. That is the claim under test: asyncio overlaps waiting, not computing.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from jwtcheck import check

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/api/check")
async def api_check(request: Request) -> Response:
    status, body = check(request.headers.get("authorization"))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(body, status_code=status, media_type="application/json", headers=headers)


@app.get("/healthz")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")
