"""Keeping secrets out of the code archive.

The archive goes to the cluster (prod) and into every job's sandbox (dev), where any job of
the pipeline can read it: a secret in it reaches jobs whose operation never named it. So
files whose names mark them as secrets are never packed (`is_secret_name`).
"""

from __future__ import annotations

import re

#: `secrets.env` in any case, and its copies: `.secrets.env.swp`, `secrets.env~`,
#: `secrets.env.bak`, `#secrets.env#`, `prod.secrets.env`
_SECRETS_ENV = re.compile(r"secrets\.env(?:[.~#_-].*)?$", re.IGNORECASE)
#: dotenv files: `.env`, `.env.local`, `.env.production`, and their editor copies
_DOTENV = re.compile(r"^[.#]*\.env(?:[.~#_-].*)?$", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """A file name that marks a secrets file or a copy of one: never packed."""
    return bool(_SECRETS_ENV.search(name) or _DOTENV.match(name))
