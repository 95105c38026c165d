"""Database URLs fit to print: one function hides the password of any URL, in every message
and log line (issue 16). Plain string work, no SQLAlchemy: the command line imports it for
its messages without paying for the database libraries."""

from __future__ import annotations

import re

# ?password=…, &sslpassword=…, and libpq's "host=h password=…" form
_SECRET_PARAMETER = re.compile(
    r"(?i)((?:^|[?&;\s])[^=&;#\s]*(?:pass|secret|token|key)[^=&;#\s]*=)[^&;#\s]*"
)


def shown_url(url: str) -> str:
    """A database URL fit to print or log: any password as ***.

    Written for what people actually put in DATABASE_URL, parsable or not: the password
    (encoded or not, with or without an unencoded `@` in it: everything before the last `@`
    is the user part), and query parameters such as `?password=` or `sslpassword=`.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    if "@" in rest:
        credentials, _, location = rest.rpartition("@")
        user_name, has_password, _ = credentials.partition(":")
        if has_password or "/" in user_name or "?" in user_name:
            user_name = user_name.split("/")[0].split("?")[0] + ":***"
        rest = f"{user_name}@{location}"
    rest = _SECRET_PARAMETER.sub(r"\1***", rest)
    return f"{scheme}{separator}{rest}"


def hide_url_in(text: str, url: str) -> str:
    """`text` (an error message, say) with `url`, and its password, shown as `shown_url`."""
    text = text.replace(url, shown_url(url))
    password = _password(url)
    return text.replace(password, "***") if password and len(password) > 2 else text


def _password(url: str) -> str | None:
    rest = url.partition("://")[2] or url
    if "@" not in rest:
        return None
    credentials = rest.rpartition("@")[0]
    return credentials.partition(":")[2] or None
