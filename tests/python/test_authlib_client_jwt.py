"""Authlib (the OAuth client library of many Python apps) authenticates to `mock-idp serve` with
``client_secret_jwt`` and ``private_key_jwt`` (RFC 7523 §2.2): the token endpoint and
introspection accept its assertions, and a replayed assertion (the same ``jti``) or one signed by
another key is refused; with the key at the client's own ``jwks_uri`` too (the mock fetches it).

Needs: the mock-idp binary (MOCK_IDP_BIN, default target/debug/mock-idp) and requirements.txt.
"""

import json
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(scope="module")
def discovery(serve_mock_idp):
    with serve_mock_idp("--provider", "generic") as base:
        yield requests.get(base + "/demo/.well-known/openid-configuration", timeout=10).json()


def test_authlib_client_secret_jwt_gets_a_token_and_introspects(discovery):
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.oauth2.rfc7523 import ClientSecretJWT

    # Authlib's documented use: the auth method object, aud = the token endpoint.
    service = OAuth2Session(
        "service", "service-secret", token_endpoint_auth_method=ClientSecretJWT(discovery["token_endpoint"])
    )
    token = service.fetch_token(discovery["token_endpoint"], grant_type="client_credentials")
    assert token["token_type"].lower() == "bearer"

    # Without a token endpoint, Authlib's assertion names the URL it is sent to.
    api = OAuth2Session("api", "api-secret", revocation_endpoint_auth_method=ClientSecretJWT())
    answer = api.introspect_token(discovery["introspection_endpoint"], token=token["access_token"]).json()
    assert answer["active"] is True
    assert answer["client_id"] == "service"


def test_an_authlib_assertion_is_accepted_once(discovery):
    from authlib.oauth2.rfc7523 import client_secret_jwt_sign

    url = discovery["token_endpoint"]
    assertion = client_secret_jwt_sign("service-secret", "service", url)
    if isinstance(assertion, bytes):
        assertion = assertion.decode()
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    first = requests.post(url, data=form, timeout=10)
    assert first.status_code == 200, first.text
    replay = requests.post(url, data=form, timeout=10)
    assert replay.status_code == 401, replay.text
    assert replay.json()["error"] == "invalid_client"

    forged = client_secret_jwt_sign("not-the-secret", "service", url)
    if isinstance(forged, bytes):
        forged = forged.decode()
    refused = requests.post(url, data={**form, "client_assertion": forged}, timeout=10)
    assert refused.status_code == 401, refused.text


def rsa_jwk(private_key):
    """The public JWK of an RSA key (RFC 7518 §6.3.1)."""
    import base64

    numbers = private_key.public_key().public_numbers()

    def b64(number):
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {"kty": "RSA", "kid": "authlib", "n": b64(numbers.n), "e": b64(numbers.e)}


def test_authlib_private_key_jwt_against_the_registered_key(tmp_path, serve_mock_idp):
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    header = "[realms.demo.clients.service]\n"
    world = (ROOT / "fixtures" / "world.toml").read_text()
    assert header in world
    jwks = json.dumps({"keys": [rsa_jwk(key)]})
    (tmp_path / "world.toml").write_text(world.replace(header, f"{header}jwks = '{jwks}'\n", 1))

    with serve_mock_idp("--provider", "generic", "--world", tmp_path / "world.toml") as base:
        metadata = requests.get(base + "/demo/.well-known/openid-configuration", timeout=10).json()
        url = metadata["token_endpoint"]
        # Authlib's documented use: the private key in the secret's place, RS256 by default.
        session = OAuth2Session("service", pem, token_endpoint_auth_method=PrivateKeyJWT(url))
        token = session.fetch_token(url, grant_type="client_credentials")
        assert token["token_type"].lower() == "bearer"

        # The registered key's client no longer takes its secret as an HMAC key.
        hmac = client_secret_jwt_sign_str("service-secret", "service", url)
        refused = requests.post(url, data=assertion_form(hmac), timeout=10)
        assert refused.status_code == 401, refused.text

        signed = private_key_jwt_sign(pem, "service", url)
        signed = signed.decode() if isinstance(signed, bytes) else signed
        assert requests.post(url, data=assertion_form(signed), timeout=10).status_code == 200
        replay = requests.post(url, data=assertion_form(signed), timeout=10)
        assert replay.status_code == 401, replay.text

        other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        forged = private_key_jwt_sign(other, "service", url)
        forged = forged.decode() if isinstance(forged, bytes) else forged
        assert requests.post(url, data=assertion_form(forged), timeout=10).status_code == 401


def client_secret_jwt_sign_str(secret, client_id, url):
    from authlib.oauth2.rfc7523 import client_secret_jwt_sign

    signed = client_secret_jwt_sign(secret, client_id, url)
    return signed.decode() if isinstance(signed, bytes) else signed


def assertion_form(assertion):
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }


def test_authlib_private_key_jwt_with_the_key_at_the_clients_jwks_uri(serve_mock_idp):
    """The client serves its public key itself (Keycloak's "Use JWKS URL"); the mock fetches it."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from authlib.integrations.requests_client import OAuth2Session
    from authlib.oauth2.rfc7523 import PrivateKeyJWT
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    served = {"keys": [rsa_jwk(key)], "fetches": 0}

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self):
            served["fetches"] += 1
            body = json.dumps({"keys": served["keys"]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    keys_server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=keys_server.serve_forever, daemon=True).start()
    jwks_uri = f"http://127.0.0.1:{keys_server.server_address[1]}/jwks"
    try:
        with serve_mock_idp("--provider", "keycloak") as base:
            created = requests.post(
                base + "/_mock/realms/demo/clients",
                json={
                    "client_id": "pkjwt-url",
                    "kind": "confidential",
                    "secret": "unused-secret",
                    "grant_types": ["client_credentials"],
                    "jwks_uri": jwks_uri,
                },
                timeout=10,
            )
            assert created.status_code == 201, created.text
            url = requests.get(base + "/realms/demo/.well-known/openid-configuration", timeout=10).json()[
                "token_endpoint"
            ]
            session = OAuth2Session("pkjwt-url", pem, token_endpoint_auth_method=PrivateKeyJWT(url))
            assert session.fetch_token(url, grant_type="client_credentials")["token_type"].lower() == "bearer"
            assert served["fetches"] == 1

            # A key the client does not publish is refused.
            other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            other_pem = other.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            stranger = OAuth2Session("pkjwt-url", other_pem, token_endpoint_auth_method=PrivateKeyJWT(url))
            with pytest.raises(Exception, match="(?i)invalid|unauthorized"):
                stranger.fetch_token(url, grant_type="client_credentials")
    finally:
        keys_server.shutdown()
