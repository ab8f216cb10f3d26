"""Faults the demo fault site serves on demand, one URL each under ``/news/<fault>``.

Each fault is a function taking the request handler; it writes whatever misbehaviour it stands
for straight to the socket. :data:`FAULTS` maps names to (function, what a crawler should do).
"""

from __future__ import annotations

import functools
import gzip
import socket
import struct
import time
from collections.abc import Callable
from typing import Protocol


class FaultHandler(Protocol):
    """What a fault needs from the HTTP request handler."""

    path: str
    connection: socket.socket

    def send_response(self, code: int, message: str | None = None) -> None:  # noqa: D102
        ...

    def send_header(self, keyword: str, value: str) -> None:  # noqa: D102
        ...

    def end_headers(self) -> None:  # noqa: D102
        ...

    def send_body(self, status: int, body: bytes, content_type: str,  # noqa: D102
                  headers: dict[str, str] | None = None) -> None: ...

    def fault_option(self, name: str) -> object:  # noqa: D102
        ...

    def hit_count(self) -> int:  # noqa: D102
        ...

    def abort(self) -> None:  # noqa: D102
        ...

    def article_html(self) -> bytes:  # noqa: D102
        ...


def server_error(h: FaultHandler) -> None:
    """Always 500."""
    h.send_body(500, b"<h1>Internal Server Error</h1>", "text/html")


def flaky(h: FaultHandler) -> None:
    """503 with ``Retry-After: 1`` on the first request, then the article."""
    if h.hit_count() == 1:
        h.send_body(503, b"<h1>Busy, come back later</h1>", "text/html", {"Retry-After": "1"})
    else:
        h.send_body(200, h.article_html(), "text/html; charset=utf-8")


def slow(h: FaultHandler) -> None:
    """Answer only after ``slow_seconds``."""
    time.sleep(float(str(h.fault_option("slow_seconds"))))
    h.send_body(200, h.article_html(), "text/html; charset=utf-8")


def reset(h: FaultHandler) -> None:
    """Reset the connection (RST) without answering."""
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.abort()


def truncated(h: FaultHandler) -> None:
    """Announce a body longer than the one sent, then close."""
    body = h.article_html()
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(body) + 5000))
    h.end_headers()
    h.connection.sendall(body[: len(body) // 2])
    h.connection.shutdown(socket.SHUT_RDWR)


def redirect_loop(h: FaultHandler) -> None:
    """Redirect to itself with a growing counter, forever."""
    step = int(h.path.rsplit("=", 1)[1]) + 1 if "?n=" in h.path else 1
    h.send_body(302, b"", "text/html", {"Location": f"/news/redirect-loop?n={step}"})


def redirect_forbidden(h: FaultHandler) -> None:
    """Redirect to an address the crawler must never reach."""
    h.send_body(302, b"", "text/html", {"Location": str(h.fault_option("forbidden_url"))})


def redirect_forbidden_port(h: FaultHandler) -> None:
    """Redirect to another port of the same loopback host (outside the allowlist)."""
    h.send_body(302, b"", "text/html", {"Location": str(h.fault_option("forbidden_port_url"))})


@functools.lru_cache(maxsize=4)
def bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about 1000:1)."""
    return gzip.compress(b"\0" * size, compresslevel=9, mtime=0)


def gzip_bomb(h: FaultHandler) -> None:
    """A small gzip body that inflates to ``bomb_bytes``."""
    data = bomb(int(str(h.fault_option("bomb_bytes"))))
    h.send_body(200, data, "text/html; charset=utf-8", {"Content-Encoding": "gzip"})


def oversized(h: FaultHandler) -> None:
    """A page of ``oversized_bytes``."""
    size = int(str(h.fault_option("oversized_bytes")))
    filler = b"<p>" + b"lorem ipsum dolor sit amet " * 40 + b"</p>\n"
    h.send_body(200, (filler * (size // len(filler) + 1))[:size], "text/html; charset=utf-8")


def wrong_charset(h: FaultHandler) -> None:
    """Windows-1252 bytes served as UTF-8."""
    text = h.article_html().decode("utf-8").replace("\u201c", "\u201c\u00e9").replace(
        "\u201d", "\u201d\u00e8")
    h.send_body(200, text.encode("cp1252", "replace"), "text/html; charset=utf-8")


def not_html(h: FaultHandler) -> None:
    """A PDF where an article link pointed."""
    h.send_body(200, b"%PDF-1.4\n% demo\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",
                "application/pdf")


FAULTS: dict[str, tuple[Callable[[FaultHandler], None], str]] = {
    "server-error": (server_error, "retried, then counted as an HTTP 500 error"),
    "flaky": (flaky, "Retry-After honoured, then fetched"),
    "slow": (slow, "download timeout, counted"),
    "reset": (reset, "connection error, counted"),
    "truncated": (truncated, "data loss, counted"),
    "redirect-loop": (redirect_loop, "stopped at the redirect limit, counted"),
    "redirect-forbidden": (redirect_forbidden, "refused, the target is never connected"),
    "redirect-forbidden-port": (redirect_forbidden_port,
                                "refused, the other port is never connected"),
    "gzip-bomb": (gzip_bomb, "decompression stopped at the size cap, counted"),
    "oversized": (oversized, "download stopped at the size cap, counted"),
    "wrong-charset": (wrong_charset, "fetched, charset mismatch counted"),
    "not-html": (not_html, "skipped as non-HTML, counted"),
}
"""Fault name -> (implementation, the expected crawler behaviour)."""
