"""Whether a local service answers HTTP: the one readiness probe the service descriptions use.

Only the standard library: `deploy`, which a workbench imports, reaches this module through
the model server's description.
"""

from __future__ import annotations

import urllib.error
import urllib.request


def answers(url: str, timeout: float = 2, *, any_status: bool = False) -> bool:
    """True when a GET of `url` answers 200 within `timeout` seconds.

    With `any_status`, any HTTP answer counts, an error status too (a server that refuses an
    unsigned request still serves requests). No answer, or a URL that is not one, is False.
    """
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return any_status or response.status == 200
    except urllib.error.HTTPError:
        return any_status
    except (OSError, ValueError):
        return False
