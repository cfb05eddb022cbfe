"""Where the ledger's database is: --db URL, else LEDGER_DATABASE_URL, else ./ledger.db."""

from __future__ import annotations

import os
import re

ENV_URL = "LEDGER_DATABASE_URL"
DEFAULT_URL = "sqlite:///ledger.db"


def database_url(explicit: str | None = None) -> str:
    """The URL to use, normalized so that plain `postgresql://` URLs use psycopg 3."""
    url = explicit or os.environ.get(ENV_URL) or DEFAULT_URL
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def display_url(url: str) -> str:
    """The URL as shown to users: any password masked."""
    from sqlalchemy.engine import make_url

    if url.startswith("sqlite") and "@" not in url:  # a path, no password: printed as given (not file%3A)
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: mask whatever stands where a password would
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


ENV_LOCK_TIMEOUT = "LEDGER_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 60.0


def lock_timeout() -> float:
    """Seconds a writer waits for another writer to finish (LEDGER_LOCK_TIMEOUT, default 60)."""
    text = os.environ.get(ENV_LOCK_TIMEOUT)
    if text is None or not text.strip():
        return DEFAULT_LOCK_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 86_400:
        from ledger.errors import ConfigurationError

        raise ConfigurationError(f"{ENV_LOCK_TIMEOUT}={text!r}: expected a number of seconds between 0 and 86400")
    return seconds


ENV_AUTHOR = "LEDGER_AUTHOR"


def author(explicit: str | None = None) -> str:
    """Who the history records as making a change: --author, else LEDGER_AUTHOR, else the OS user."""
    for candidate in (explicit, os.environ.get(ENV_AUTHOR)):
        if candidate is not None and candidate.strip():
            return candidate.strip()
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a bare container)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
