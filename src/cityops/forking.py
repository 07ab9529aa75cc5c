"""A child process forked to run one function: the workbook reader, the GX worker."""

from __future__ import annotations

import os
from collections.abc import Callable


def forked(body: Callable[[], None]) -> int:
    """Fork; the child runs `body` and exits (status 1 if it raised), never returning. The pid."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            body()
        except BaseException:  # a broken pipe (the parent stopped listening) included
            code = 1
        finally:
            os._exit(code)  # not the parent's atexit handlers, nor its buffered output
    return pid
