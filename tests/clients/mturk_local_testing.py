"""Helpers shared by the third-party client tests (see conftest.py).

Where the server is and which requesters to use comes from the environment:

  MTURK_LOCAL_ENDPOINT      base URL of the server (default http://127.0.0.1:8099)
  MTURK_LOCAL_KEY           first requester's access key id (default: the built-in
  MTURK_LOCAL_SECRET        development requester of config/default.toml)
  MTURK_LOCAL_OTHER_KEY     a second requester, used by the isolation tests
  MTURK_LOCAL_OTHER_SECRET  (default: the one that tests/clients/run.sh configures)
  MTURK_LOCAL_BALANCE       the first requester's expected AvailableBalance (default
                            10000.00 for the built-in requester, else any amount)
  MTURK_LOCAL_OTHER_BALANCE the second requester's expected AvailableBalance (run.sh
                            sets it to what it configures; unset: any amount)
"""

import os
import secrets
import string
import urllib.parse
import uuid
from dataclasses import dataclass

DEV_ACCESS_KEY_ID = "AKIAMTURKLOCALDEV000"
DEV_SECRET_ACCESS_KEY = "mturk-local-dev-secret-do-not-use-in-production"
OTHER_ACCESS_KEY_ID = "AKIAMTURKLOCALOTHER1"
OTHER_SECRET_ACCESS_KEY = "other-secret"

_ID_ALPHABET = string.digits + string.ascii_uppercase

# Text that breaks XML built by pasting strings together, and that exercises
# the UTF-8 handling of signing, form decoding and the response writer:
# markup, an entity-looking ampersand, both quotes, a CDATA terminator, '%'
# and '+' (which URL encoding treats specially), Latin-1, CJK and a character
# outside the Basic Multilingual Plane (4 bytes in UTF-8).
TRICKY_TEXT = "Tom & Jerry's <b>\"test\"</b> &amp; ]]> 100% + naïve café 日本語 \U0001F600"


@dataclass(frozen=True)
class Endpoint:
    url: str
    scheme: str
    host: str
    port: int

    @property
    def is_secure(self) -> bool:
        return self.scheme == "https"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


def endpoint_from_env() -> Endpoint:
    url = os.environ.get("MTURK_LOCAL_ENDPOINT", "http://127.0.0.1:8099").rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"MTURK_LOCAL_ENDPOINT must look like http://HOST:PORT, got {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return Endpoint(url=f"{parts.scheme}://{parts.netloc}", scheme=parts.scheme,
                    host=parts.hostname, port=port)


def dev_credentials_from_env() -> Credentials:
    return Credentials(
        os.environ.get("MTURK_LOCAL_KEY", DEV_ACCESS_KEY_ID),
        os.environ.get("MTURK_LOCAL_SECRET", DEV_SECRET_ACCESS_KEY),
    )


def other_credentials_from_env() -> Credentials:
    return Credentials(
        os.environ.get("MTURK_LOCAL_OTHER_KEY", OTHER_ACCESS_KEY_ID),
        os.environ.get("MTURK_LOCAL_OTHER_SECRET", OTHER_SECRET_ACCESS_KEY),
    )


def unique_name(prefix: str = "client-test") -> str:
    """A qualification type name that no earlier run has used."""
    return f"{prefix} {uuid.uuid4()}"


def new_worker_id() -> str:
    """A fresh worker id in MTurk's shape: 'A' followed by 13 of [0-9A-Z]."""
    return "A" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(13))


def unknown_id() -> str:
    """A well-formed id (30 of [0-9A-Z]) that the server never issued."""
    return "3" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(29))
