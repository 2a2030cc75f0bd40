"""`python -m qbo_emulator --host 127.0.0.1 --port 5055 [--data PATH] [--client ID:SECRET:REDIRECT_URI ...]`."""

from __future__ import annotations

import argparse
import logging
import os

from werkzeug.serving import make_server

from .app import create_app


def parse_client(value: str) -> dict:
    client_id, _, rest = value.partition(":")
    secret, _, redirect_uri = rest.partition(":")
    if not client_id or not secret:
        raise argparse.ArgumentTypeError("--client wants ID:SECRET:REDIRECT_URI")
    return {
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uris": [redirect_uri] if redirect_uri else [],
    }


def parse_webhook(value: str) -> tuple[str, str, str]:
    client_id, _, rest = value.partition(":")
    # The URL itself contains colons; the verifier token is after the last one.
    url, _, token = rest.rpartition(":")
    if not client_id or not url:
        raise argparse.ArgumentTypeError("--webhook wants CLIENT_ID:URL:VERIFIER_TOKEN")
    return client_id, url, token


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m qbo_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument(
        "--data", default="instance/qbo_emulator.db", help="SQLite file holding the emulator state"
    )
    parser.add_argument(
        "--client", action="append", type=parse_client, default=[], metavar="ID:SECRET:REDIRECT_URI"
    )
    parser.add_argument(
        "--webhook", action="append", type=parse_webhook, default=[], metavar="CLIENT_ID:URL:TOKEN"
    )
    parser.add_argument(
        "--throttle",
        action="store_true",
        default=os.environ.get("QBO_EMULATOR_THROTTLE", "") in ("1", "true", "yes", "on"),
        help="enforce Intuit's rate limits on every company that has no `throttling` setting of "
        "its own (also QBO_EMULATOR_THROTTLE=1)",
    )
    parser.add_argument(
        "--webhook-format",
        choices=("cloudevents", "legacy"),
        default=os.environ.get("QBO_EMULATOR_WEBHOOK_FORMAT", "cloudevents"),
        help="payload of --webhook deliveries: CloudEvents (Intuit's format since 2026, default) or "
        "the legacy eventNotifications (also QBO_EMULATOR_WEBHOOK_FORMAT)",
    )
    parser.add_argument(
        "--cdc-limit-scope",
        choices=("response", "entity"),
        default=os.environ.get("QBO_EMULATOR_CDC_LIMIT_SCOPE", "response"),
        help="the 1,000-object CDC cap counts the whole response (Intuit's wording, default) or "
        "each entity (also QBO_EMULATOR_CDC_LIMIT_SCOPE)",
    )
    args = parser.parse_args(argv)
    clients = {c["client_id"]: c for c in args.client}
    for client_id, url, token in args.webhook:
        if client_id == "ledgerbridge-demo" and client_id not in clients:
            clients[client_id] = {
                "client_id": client_id,
                "client_secret": "ledgerbridge-demo-secret",
                "redirect_uris": [],
            }
        if client_id not in clients:
            parser.error(f"--webhook names unknown client {client_id}")
        clients[client_id].update(webhook_url=url, verifier_token=token)
    public_url = f"http://{args.host}:{args.port}"
    app = create_app(
        {
            "DATABASE": args.data,
            "CLIENTS": list(clients.values()),
            "PUBLIC_URL": public_url,
            "THROTTLING_DEFAULT": args.throttle,
            "WEBHOOK_FORMAT": args.webhook_format,
            "CDC_LIMIT_SCOPE": args.cdc_limit_scope,
        }
    )
    logging.basicConfig(level=logging.INFO)
    server = make_server(args.host, args.port, app, threaded=True)
    print(
        f"QBO emulator on {public_url} (data: {args.data}); companies at {public_url}/_emulator/",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
