"""The `parkshare` command's entry point (pyproject.toml's script).

What the container image runs (`parkshare serve`, `relay` or `web`, every option from the
environment as Knative sets it) starts here without the CLI: Typer, click's parsing, and
what the other commands import (argon2, the migrations, the embedded servers) are ~25 ms of
a function's cold start. Anything else, and any of those three with arguments or with an
environment the CLI would refuse, is the CLI itself (`parkshare.run.cli`), unchanged.

Until the server runs, no cyclic garbage collection: starting allocates a few hundred
thousand objects (modules, classes, pydantic's validators) and frees almost none, so each
collection while importing is wasted (~15 ms). `serve.run` freezes what startup made and
turns collection back on just before serving. And no pydantic plugin scan: pydantic looks
for plugins in every installed distribution's entry points when it builds the first model,
and none is installed in the image.
"""

from __future__ import annotations

import gc
import os
import sys

SERVERS = ("serve", "relay", "web")


def main() -> None:
    args = sys.argv[1:]
    if len(args) == 1 and args[0] in SERVERS and _environment_ok(args[0]):
        gc.disable()
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
        _serve(args[0])
        return
    from parkshare.run.cli import main as cli

    cli()


def _set(name: str) -> str | None:
    # As click reads an option's envvar: an empty value is no value.
    return os.environ.get(name) or None


def _environment_ok(command: str) -> bool:
    """Whether the CLI would take the environment as it is; where it would not, it is left
    to say so, in its own words."""
    port = _set("PORT")
    if port is not None:
        try:
            int(port)
        except ValueError:
            return False
    return command != "serve" or _set("FUNCTION_TARGET") is not None


def _serve(command: str) -> None:
    """`parkshare <command>` as the CLI runs it with its options from the environment
    (FUNCTION_TARGET, FUNCTION_SOURCE, FUNCTION_SIGNATURE_TYPE, HOST, PORT), and its
    expected errors as one line and exit status 1."""
    from parkshare.run import serve

    host = _set("HOST") or "0.0.0.0"
    port = int(_set("PORT") or 8080)
    try:
        if command == "serve":
            target = _set("FUNCTION_TARGET")
            assert target is not None  # _environment_ok
            signature_type = _set("FUNCTION_SIGNATURE_TYPE") or "http"
            serve.serve_function(target, _set("FUNCTION_SOURCE"), signature_type, host, port)
        elif command == "relay":
            serve.serve_relay(host, port)
        else:
            serve.serve_web(host, port)
    except Exception as exc:
        if not _expected(exc):
            raise
        from parkshare.run.cli import _describe

        print(f"error: {_describe(exc)}", file=sys.stderr)
        raise SystemExit(1) from None


def _expected(exc: Exception) -> bool:
    """What the CLI's `_expected_errors` reports in one line (without importing what the
    process did not import)."""
    from parkshare.run.serve import Unconfigured

    kinds: list[type[BaseException]] = [Unconfigured]
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None:
        kinds.append(psycopg.Error)
    migrate = sys.modules.get("parkshare.store.migrate")
    if migrate is not None:
        kinds.append(migrate.MigrationError)
    return isinstance(exc, tuple(kinds))


if __name__ == "__main__":
    main()
