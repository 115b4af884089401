#!/usr/bin/env python3
"""Render deploy/nginx/nginx.conf.template for a set of Streamlit replicas.

    python3 deploy/nginx/render.py --listen 127.0.0.1:8080 \\
        --replica 127.0.0.1:8501 --replica 127.0.0.1:8502 --prefix /tmp/mirror-nginx

writes /tmp/mirror-nginx/nginx.conf (and creates /tmp/mirror-nginx/logs/), ready for
`nginx -p /tmp/mirror-nginx -c /tmp/mirror-nginx/nginx.conf -g 'daemon off;'`.
Without --prefix the config goes to --output, or to stdout.

Standard library only, so it runs with any python3 (the tests import `render`).
The template uses double-brace placeholders ({{NAME}}), which cannot clash with nginx's own
$variables; every input is checked, and a placeholder left unfilled is an error.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().with_name("nginx.conf.template")

DEFAULTS = {
    # Per client address: sustained rate and the burst answered at once, for the app's own
    # requests (a page load or reload is about 7) and for /static/ (the frontend build: a
    # browser with an empty cache fetches about 115 files at once, later loads none).
    "rate": "10r/s",
    "burst": 30,
    "static_rate": "50r/s",
    "static_burst": 200,
    # Open WebSockets (browser tabs) per client address.
    "max_sockets": 20,
    "workers": "auto",
    # Passive health check: this many failures within fail_timeout take a replica
    # out for fail_timeout.
    "max_fails": 3,
    "fail_timeout": "10s",
    "error_log_level": "warn",
}

_HOST_PORT = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")
_RATE = re.compile(r"^[1-9]\d*r/[sm]$")
_DURATION = re.compile(r"^[1-9]\d*(?:ms|s|m|h)?$")
_LEVELS = ("debug", "info", "notice", "warn", "error", "crit", "alert", "emerg")
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def _host_port(value: str, what: str) -> str:
    m = _HOST_PORT.match(value)
    if not m or not 0 < int(m.group(1)) < 65536:
        raise ValueError(f"{what} must be HOST:PORT (e.g. 127.0.0.1:8501), got {value!r}")
    return value


def _positive_int(value, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a positive integer, got {value!r}") from None
    if number < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return number


def render(
    listen: str,
    replicas: list[str],
    *,
    rate: str = DEFAULTS["rate"],
    burst: int = DEFAULTS["burst"],
    static_rate: str = DEFAULTS["static_rate"],
    static_burst: int = DEFAULTS["static_burst"],
    max_sockets: int = DEFAULTS["max_sockets"],
    workers: str | int = DEFAULTS["workers"],
    max_fails: int = DEFAULTS["max_fails"],
    fail_timeout: str = DEFAULTS["fail_timeout"],
    error_log_level: str = DEFAULTS["error_log_level"],
    template: Path = TEMPLATE,
) -> str:
    """The nginx config text for `listen` (HOST:PORT) in front of `replicas` (HOST:PORT each)."""
    _host_port(listen, "--listen")
    if not replicas:
        raise ValueError("at least one --replica is needed (two or more for high availability)")
    replicas = [_host_port(r, "--replica") for r in replicas]
    if len(set(replicas)) != len(replicas):
        raise ValueError(f"replicas must be distinct, got {replicas}")
    for what, value in (("rate", rate), ("static_rate", static_rate)):
        if not _RATE.match(str(value)):
            raise ValueError(f"{what} must look like 10r/s or 300r/m, got {value!r}")
    if not _DURATION.match(str(fail_timeout)):
        raise ValueError(f"fail_timeout must be an nginx time like 10s, got {fail_timeout!r}")
    if str(workers) != "auto":
        workers = _positive_int(workers, "workers")
    if error_log_level not in _LEVELS:
        raise ValueError(f"error_log_level must be one of {', '.join(_LEVELS)}, got {error_log_level!r}")
    max_fails = _positive_int(max_fails, "max_fails")

    servers = "\n".join(
        f"        server {r} max_fails={max_fails} fail_timeout={fail_timeout};" for r in replicas
    )
    values = {
        "LISTEN": listen,
        "UPSTREAM_SERVERS": servers,
        "RATE": str(rate),
        "BURST": str(_positive_int(burst, "burst")),
        "STATIC_RATE": str(static_rate),
        "STATIC_BURST": str(_positive_int(static_burst, "static_burst")),
        "MAX_SOCKETS": str(_positive_int(max_sockets, "max_sockets")),
        "WORKER_PROCESSES": str(workers),
        "ERROR_LOG_LEVEL": error_log_level,
    }
    text = Path(template).read_text(encoding="utf-8")
    unknown = sorted(set(_PLACEHOLDER.findall(text)) - set(values))
    if unknown:
        raise ValueError(f"the template has placeholders this renderer does not fill: {unknown}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def write_instance(prefix: Path, text: str) -> Path:
    """Write `text` as <prefix>/nginx.conf and create <prefix>/logs/; return the config path."""
    prefix = Path(prefix)
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT nginx listens on, e.g. 127.0.0.1:8080")
    parser.add_argument("--replica", action="append", default=[], metavar="HOST:PORT",
                        help="a Streamlit replica; repeat for each (two or more)")
    parser.add_argument("--rate", default=DEFAULTS["rate"], help="per-client request rate (default %(default)s)")
    parser.add_argument("--burst", type=int, default=DEFAULTS["burst"],
                        help="requests over the rate answered at once (default %(default)s)")
    parser.add_argument("--static-rate", default=DEFAULTS["static_rate"],
                        help="per-client request rate for /static/ (default %(default)s)")
    parser.add_argument("--static-burst", type=int, default=DEFAULTS["static_burst"],
                        help="requests to /static/ over its rate answered at once (default %(default)s)")
    parser.add_argument("--max-sockets", type=int, default=DEFAULTS["max_sockets"],
                        help="open WebSockets per client address (default %(default)s)")
    parser.add_argument("--workers", default=DEFAULTS["workers"], help="worker_processes (default %(default)s)")
    parser.add_argument("--max-fails", type=int, default=DEFAULTS["max_fails"],
                        help="passive health check: failures before a replica is taken out (default %(default)s)")
    parser.add_argument("--fail-timeout", default=DEFAULTS["fail_timeout"],
                        help="passive health check window and time out (default %(default)s)")
    parser.add_argument("--error-log-level", default=DEFAULTS["error_log_level"], choices=_LEVELS)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--prefix", type=Path, help="run folder: writes PREFIX/nginx.conf and creates PREFIX/logs/")
    where.add_argument("-o", "--output", type=Path, help="write the config here (default: stdout)")
    args = parser.parse_args(argv)

    try:
        text = render(
            args.listen, args.replica, rate=args.rate, burst=args.burst,
            static_rate=args.static_rate, static_burst=args.static_burst, max_sockets=args.max_sockets,
            workers=args.workers, max_fails=args.max_fails, fail_timeout=args.fail_timeout,
            error_log_level=args.error_log_level,
        )
    except ValueError as exc:
        parser.error(str(exc))
    if args.prefix:
        print(write_instance(args.prefix, text))
    elif args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
