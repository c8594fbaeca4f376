"""An OpenID Connect provider for the single sign-on tests, run as its own process:
`python tests/sso/provider.py --port N`.

The provider is the `oidc-provider-mock` package (authlib's server components), with
clients that must register and a required nonce, and two additions it lacks:

- PKCE is enforced: an authorization code is only redeemed with the verifier whose S256
  challenge came with the authorization request, so the tests prove the client sends one.
- `POST /_test/tamper {"claims": {...}, "foreign_key": bool}` makes the next ID token carry
  other claims (another issuer, audience, nonce, an expiry in the past), signed with the
  provider's own key, or with a key it never published: what a client must refuse.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
from typing import Any
from urllib.parse import parse_qs, urlparse

import flask
import werkzeug.serving
from joserfc import jws
from joserfc.jwk import RSAKey
from oidc_provider_mock import app as provider_app

_challenges: dict[str, tuple[str, str]] = {}
_tamper: dict[str, Any] = {}


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def create() -> flask.Flask:
    app: flask.Flask = provider_app(require_client_registration=True, require_nonce=True)

    @app.before_request
    def enforce_pkce() -> Any:
        request = flask.request
        if request.path != "/oauth2/token" or request.form.get("grant_type") != (
            "authorization_code"
        ):
            return None
        expected = _challenges.pop(request.form.get("code", ""), None)
        verifier = request.form.get("code_verifier")
        if (
            expected is None
            or expected[1] != "S256"
            or verifier is None
            or not hmac.compare_digest(_s256(verifier), expected[0])
        ):
            return flask.jsonify(
                error="invalid_grant", error_description="PKCE verification failed"
            ), 400
        return None

    @app.after_request
    def remember_challenge(response: flask.Response) -> flask.Response:
        request = flask.request
        location = response.headers.get("Location", "")
        if request.path == "/oauth2/authorize" and "code=" in location:
            code = parse_qs(urlparse(location).query).get("code", [""])[0]
            _challenges[code] = (
                request.args.get("code_challenge", ""),
                request.args.get("code_challenge_method", ""),
            )
        return response

    @app.post("/_test/tamper")
    def tamper() -> Any:
        _tamper.clear()
        _tamper.update(flask.request.get_json())
        return "", 204

    @app.after_request
    def tamper_id_token(response: flask.Response) -> flask.Response:
        if flask.request.path != "/oauth2/token" or response.status_code != 200 or not _tamper:
            return response
        order = dict(_tamper)
        _tamper.clear()
        body = response.get_json()
        header_b64, payload_b64, _ = body["id_token"].split(".")
        header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
        claims = json.loads(base64.urlsafe_b64decode(payload_b64 + "=="))
        claims.update(order.get("claims", {}))
        if order.get("foreign_key"):
            key = RSAKey.generate_key(2048, private=True)
        else:
            own = flask.g.oidc_provider_mock_storage.jwk
            key = RSAKey.import_key(own.as_dict(is_private=True))
        body["id_token"] = jws.serialize_compact(
            header, json.dumps(claims).encode(), key, algorithms=[header["alg"]]
        )
        response.set_data(json.dumps(body))
        return response

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The provider's own URLs are http on a loopback address.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    werkzeug.serving.run_simple("127.0.0.1", args.port, create(), threaded=True)


if __name__ == "__main__":
    main()
