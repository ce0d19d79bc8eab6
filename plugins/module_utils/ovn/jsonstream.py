# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""A faster stand-in for the JSON parser of the ``ovs`` Python library.

The ``ovs`` package from PyPI has no C extension, so every byte the NB sends
goes through a pure-Python lexer, one character at a time: reading the
thousand NAT rows of a project with a thousand FIPs spends most of its 0.3 s
there. ``StreamParser`` keeps ``ovs.json.Parser``'s interface (``feed``
returns how much of the input one JSON text used, ``is_done``, ``finish``
returns the value or an error string) but only finds where the text ends,
with a regular expression that jumps from one bracket to the next, over whole strings,
and decodes it with the standard library's C decoder.

Objects and arrays are what JSON-RPC sends; any other top-level text is
handed to the original parser, which also serves when ``ovs`` does have its
C extension (then nothing is replaced).
"""

import json
import re

# Text that moves no bracket count: runs of other characters and complete strings. A string
# left open at the end of a chunk stops the match at its quote.
_SKIP = re.compile(r'(?:[^"{}\[\]]+|"[^"\\]*(?:\\.[^"\\]*)*")*')
_IN_STRING = re.compile(r'["\\]')
_SPACE = " \t\r\n"


class StreamParser(object):
    original = None  # the ovs.json.Parser class this one stands in for

    def __init__(self, check_trailer=False):
        self.check_trailer = check_trailer
        self.done = False
        self.error = None
        self._delegate = None
        self._chunks = []
        self._depth = 0
        self._started = False
        self._in_string = False
        self._skip = False  # the last chunk ended in a backslash inside a string

    def feed(self, text):
        if self._delegate is not None:
            return self._delegate.feed(text)
        if self.done:
            return self._trailer(text, 0)
        index = 0
        if not self._started:
            stripped = len(text) - len(text.lstrip(_SPACE))
            if stripped == len(text):
                return len(text)
            if text[stripped] not in "{[":
                self._delegate = ovs_parser(self.original, self.check_trailer)
                return self._delegate.feed(text)
            self._started = True
            index = stripped
        start = index
        end = len(text)
        while index < end:
            if self._skip:
                self._skip = False
                index += 1
                continue
            if self._in_string:
                found = _IN_STRING.search(text, index)
                if found is None:
                    index = end
                elif found.group() == "\\":
                    index = found.end()
                    self._skip = True
                else:
                    self._in_string = False
                    index = found.end()
                continue
            # Past everything that is not a bracket, whole strings included, in one match.
            index = _SKIP.match(text, index).end()
            if index >= end:
                continue
            char = text[index]
            index += 1
            if char == '"':
                # A string that this chunk does not finish.
                self._in_string = True
            elif char in "{[":
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth == 0:
                    self._chunks.append(text[start:index])
                    self.done = True
                    return self._trailer(text, index)
        self._chunks.append(text[start:index])
        return index

    def _trailer(self, text, index):
        if not self.check_trailer:
            return index
        rest = text[index:]
        if rest.strip(_SPACE) and self.error is None:
            self.error = "trailing garbage at end of input"
        return len(text)

    def is_done(self):
        if self._delegate is not None:
            return self._delegate.is_done()
        return self.done

    def finish(self):
        if self._delegate is not None:
            return self._delegate.finish()
        if self.error is not None:
            return self.error
        if not self._started:
            return "empty input stream"
        if not self.done:
            return "unexpected end of input"
        try:
            return json.loads("".join(self._chunks))
        except ValueError as exc:
            return "syntax error: {0}".format(exc)


def ovs_parser(original, check_trailer=False):
    """A parser of ``original``, ovs's class, even once install() replaced it.

    Its ``__new__`` looks its own class up by name in ``ovs.json`` (to return
    the C parser when there is one), which is the stand-in after install();
    so the object is made without it.
    """
    parser = object.__new__(original)
    original.__init__(parser, check_trailer=check_trailer)
    return parser


def stand_in(original):
    """The StreamParser class that replaces ``original`` in ``ovs.json``.

    It also inherits from ``original``, because ovs's parser refers to its
    own private states through the module's ``Parser`` name, which then
    means this class; inheriting keeps those references working for the
    values it hands back to ovs's parser.
    """
    def new(cls, *args, **kwargs):
        return object.__new__(cls)

    return type("StreamParser", (StreamParser, original), {"original": original, "__new__": new})


def install(ovs_json):
    """Make ``ovs_json`` (the ``ovs.json`` module) parse with StreamParser, once.

    Only when it has no C parser of its own; the library looks the class up
    by name on every message, so replacing the attribute is enough.
    """
    current = ovs_json.Parser
    if ovs_json.PARSER != ovs_json.PARSER_PY or getattr(current, "original", None) is not None:
        return
    ovs_json.Parser = stand_in(current)
