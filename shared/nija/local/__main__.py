"""`python -m nija.local` (what `make run` calls): start the whole platform on 127.0.0.1."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import uvicorn

from nija.catalogue import catalogue
from nija.config import get_settings
from nija.domain.ip_limits import IpLimit
from nija.local import identity, log_context
from nija.local.stack import (
    Options,
    add_websocket,
    configure_environment,
    moto_server,
    provision,
    start_event_sources,
)
from nija.local.web_app import WEB_PATH, mount_web_app


def parse(argv: list[str] | None = None) -> Options:
    env = os.environ.get
    p = argparse.ArgumentParser(prog="nija.local", description=__doc__)
    p.add_argument("--host", default=env("NIJA_LOCAL_HOST", "127.0.0.1"), help="bind address (loopback only)")
    p.add_argument("--api-port", type=int, default=int(env("NIJA_API_PORT", "8000")))
    p.add_argument("--aws-port", type=int, default=int(env("NIJA_AWS_PORT", "5055")), help="moto server port")
    p.add_argument("--sync-every", type=float, default=2.0, help="seconds between open-order syncs")
    p.add_argument("--scan-every", type=float, default=300.0, help="seconds between strategy scans")
    stage = catalogue(Options.stage)
    p.add_argument(
        "--sign-in-ip-limit",
        type=_ip_limit,
        default=env("NIJA_SIGN_IN_IP_LIMIT"),
        help=f"sign-in requests per address, REQUESTS/SECONDS (the stage's: {stage.sign_in_ip_limit})",
    )
    p.add_argument(
        "--ip-limit",
        type=_ip_limit,
        default=env("NIJA_IP_LIMIT"),
        help=f"requests per address, REQUESTS/SECONDS (the stage's: {stage.ip_limit})",
    )
    a = p.parse_args(argv)
    if not a.host.startswith("127.") and a.host not in ("localhost", "::1"):
        p.error("the local stack binds to loopback addresses only")
    return Options(
        host=a.host,
        api_port=a.api_port,
        aws_port=a.aws_port,
        sync_every_s=a.sync_every,
        scan_every_s=a.scan_every,
        sign_in_ip_limit=a.sign_in_ip_limit,
        ip_limit=a.ip_limit,
    )


def _ip_limit(spec: str) -> str:
    try:
        return str(IpLimit.parse(spec))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


BANNER = """
NIJA local stack is up (stage {stage}).
  App:       {app}
  API:       {api}
  API docs:  {api}/docs
  WebSocket: {ws}/ws?token=$TOKEN
  AWS (moto): {aws}
  Per address: {ip_limits}
  Demo login: {email} / {password}
  Admin login: {admin_email} / {admin_password}, then a code from TOTP secret: {admin_totp}
             (an authenticator app, or: .venv/bin/python -m nija.local.totp {admin_totp})
  Email outbox: {outbox}  (password reset and sign-up codes: nothing is sent)

  TOKEN=$(curl -s -X POST {api}/v1/auth/login -H 'content-type: application/json' \\
      -d '{{"email":"{email}","password":"{password}"}}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
  curl -s -X POST {api}/v1/orders -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
      -d '{{"broker":"paper","symbol":"BTC/USD","side":"buy","type":"market","quantity":"0.01"}}'
  curl -s {api}/v1/positions -H "Authorization: Bearer $TOKEN"

Ctrl-C stops everything.
"""


def _stop_as_on_ctrl_c(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # uvicorn re-raises the signal once it has stopped: clean up as for Ctrl-C


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    signal.signal(signal.SIGTERM, _stop_as_on_ctrl_c)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("nija").setLevel(logging.INFO)
    log_context.install()  # before any handler's Logger: log keys per execution context
    stop = threading.Event()
    threads = []
    with moto_server(options.host, options.aws_port) as endpoint:
        try:
            for name, limit in (
                ("SIGN_IN_IP_LIMIT", options.sign_in_ip_limit),
                ("IP_LIMIT", options.ip_limit),
            ):
                if limit:
                    os.environ[f"NIJA_{name}"] = limit
            configure_environment(endpoint, options.stage)
            _, demo, admin_totp = provision(endpoint)
            from nija.api.apps import create_local_app
            from nija.api.ip_limiter import local_limiter

            limiter = local_limiter()
            app = create_local_app(limiter)
            add_websocket(app)
            web = mount_web_app(app)
            threads = start_event_sources(stop, options.sync_every_s, scan_every_s=options.scan_every_s)
            api = f"http://{options.host}:{options.api_port}"
            # Ctrl-C must stop everything promptly, open WebSockets or not: at most 3 s to drain.
            config = uvicorn.Config(
                app,
                host=options.host,
                port=options.api_port,
                log_level="warning",
                timeout_graceful_shutdown=3,
                # The caller is the connection's peer, as the source IP is WAF's: never a header's say.
                proxy_headers=False,
                server_header=False,  # no answer names the server software, as API Gateway's do not
            )
            print(
                BANNER.format(
                    stage=options.stage,
                    app=f"{api}{WEB_PATH}" if web else "not built (make run builds it: mobile/dist)",
                    api=api,
                    ws=api.replace("http", "ws", 1),
                    aws=endpoint,
                    ip_limits=", ".join(f"{r.name} {r.limit} s" for r in limiter.rules),
                    email=demo.email,
                    password=demo.password,
                    admin_email=identity.ADMIN_EMAIL,
                    admin_password=identity.ADMIN_PASSWORD,
                    admin_totp=admin_totp,
                    outbox=Path(get_settings().email_outbox).resolve(),
                ),
                flush=True,
            )
            with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once it has stopped
                uvicorn.Server(config).run()
        finally:
            stop.set()
            deadline = time.monotonic() + 5  # one budget for all: a thread still busy is a daemon
            for t in threads:
                t.join(timeout=max(0.0, deadline - time.monotonic()))
    print("NIJA local stack stopped.", flush=True)


if __name__ == "__main__":
    main()
    # Everything is stopped: skip the interpreter's teardown of all it imported (2 s and more).
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
