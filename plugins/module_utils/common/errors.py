# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""Errors that a module turns into a clear ``fail_json``.

Everything the collection raises on purpose is a ``KubedcError``: the base
module class reports its message and details and nothing else. Any other
exception is a bug and is reported with its traceback.
"""


import contextlib


class KubedcError(Exception):
    """A failure the user can act on; ``details`` are returned with it."""

    def __init__(self, msg, **details):
        super(KubedcError, self).__init__(msg)
        self.msg = msg
        self.details = details

    def within(self, item, name=None):
        """The same error, about item ``item`` (``fips[2]``) of a list option.

        A field becomes ``fips[2].ip_address``; the message says which item it
        is, by its name too, so a user finds it in a file of hundreds.
        """
        details = dict(self.details)
        if "field" in details:
            details["field"] = "{0}.{1}".format(item, details["field"])
        where = "{0} ({1})".format(item, name) if name else item
        return type(self).__new__(type(self)).rebuilt("{0}: {1}".format(where, self.msg), details)

    def rebuilt(self, msg, details):
        KubedcError.__init__(self, msg, **details)
        return self


class InvalidInput(KubedcError):
    """A parameter is wrong. Raised before anything is written."""

    def __init__(self, field, value, reason):
        msg = "{0}: {1!r} {2}".format(field, value, reason)
        super(InvalidInput, self).__init__(msg, field=field, value=value)


class Conflict(KubedcError):
    """The declared state clashes with what exists (ownership, immutability, use)."""


class ConnectionFailed(KubedcError):
    """The database or API server could not be reached or answered too late."""


@contextlib.contextmanager
def about(item, name=None):
    """Errors raised inside name the list item they are about (``fips[2] (bastion): ...``)."""
    if item is None:
        yield
        return
    try:
        yield
    except KubedcError as exc:
        raise exc.within(item, name)
