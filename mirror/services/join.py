"""How students find the class: the address to open, a join link that carries the class code, its QR code.

The address is `MIRROR_PUBLIC_URL` where a deployment has a domain, else this machine's address on the
local network and the server's port: what a phone on the same Wi-Fi can open. The join link opens the
Class page with the code filled in (`?join=CODE`), so a student who scans it types only a name.
"""

from __future__ import annotations

import io
import ipaddress
import socket
from urllib.parse import quote

import segno

from mirror.services.classroom import normal_code

JOIN_QUERY = "join"  # the Class page's query parameter that carries the code
CLASS_PATH = "Class"  # the Class page's URL path (mirror/ui/pages.py)


def lan_address() -> str | None:
    """This machine's IPv4 address on the local network, from its own name (no packet is sent); None when
    it has none but loopback."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    usable = [a for a in addresses if not (a.is_loopback or a.is_link_local or a.is_unspecified)]
    private = [a for a in usable if a.is_private]
    chosen = (private or usable or [None])[0]
    return str(chosen) if chosen is not None else None


def class_address(public_url: str | None, port: int, host: str | None = None) -> str:
    """The address students open: the deployment's public URL, else http://LAN-ADDRESS:PORT (localhost
    when the machine has no network address)."""
    if public_url and public_url.strip():
        return public_url.strip().rstrip("/")
    return f"http://{host or lan_address() or 'localhost'}:{port}"


def join_link(address: str, code: str) -> str:
    """The link a QR code carries: the Class page with `code` filled in."""
    return f"{address.rstrip('/')}/{CLASS_PATH}?{JOIN_QUERY}={quote(normal_code(code))}"


def qr_png(link: str, scale: int = 12) -> bytes:
    """`link` as a QR code (error correction M, the standard 4-module quiet zone), a PNG image."""
    out = io.BytesIO()
    qr_code(link).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_code(link: str) -> segno.QRCode:
    return segno.make(link, error="m", micro=False)
