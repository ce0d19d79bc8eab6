# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""Time: retrying a call that may fail for a moment.

``retrying`` runs a call a few times with jittered exponential backoff while
it fails in a way worth waiting out (an API server throttling with 429, or
restarting with 5xx). Waiting for a condition (a platform that writes
Kubernetes objects and waits for them to become ready) belongs here too.
"""

import random
import time

ATTEMPTS = 4
BASE_DELAY = 0.25
MAX_DELAY = 2.0


class Retry(Exception):
    """Raised by a call to ask for another attempt; ``delay`` overrides the backoff (Retry-After)."""

    def __init__(self, cause, delay=None):
        super(Retry, self).__init__(str(cause))
        self.cause = cause
        self.delay = delay


def backoff(attempt, base=BASE_DELAY, cap=MAX_DELAY, rand=random.random):
    """Seconds to sleep before attempt ``attempt + 1``: full jitter on an exponential cap."""
    return rand() * min(cap, base * (2 ** attempt))


_sleep = time.sleep


def retrying(call, attempts=ATTEMPTS, sleep=None, rand=random.random):
    """Return ``call()``; when it raises ``Retry``, try again, at most ``attempts`` times in all.

    After the last attempt, the ``cause`` of the last ``Retry`` is raised.
    """
    sleep = sleep or _sleep
    for attempt in range(attempts):
        try:
            return call()
        except Retry as again:
            if attempt == attempts - 1:
                raise again.cause
            delay = backoff(attempt, rand=rand)
            if again.delay is not None:
                delay = min(max(delay, again.delay), MAX_DELAY * 2)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
