"""Writes run again when the database rolled their transaction back for a conflict with
another (a deadlock, a serialization failure): the rollback undid everything, so the
same call is safe to repeat; after ATTEMPTS the caller gets the 503."""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from zonefleet.errors import DatabaseConflictError

LOG = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")
ATTEMPTS = 3


def retried(write: Callable[P, T]) -> Callable[P, T]:
    """`write` again, after a short random pause, when its transaction lost a conflict."""

    @functools.wraps(write)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        attempt = 1
        while True:
            try:
                return write(*args, **kwargs)
            except DatabaseConflictError:
                if attempt == ATTEMPTS:
                    raise
                LOG.info("%s lost a database conflict; running it again", write.__qualname__)
                time.sleep(random.uniform(0.005, 0.05) * attempt)
                attempt += 1

    return run
