# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""jsonstream.StreamParser must read exactly what ovs's own parser reads."""

import json

import ovs.json
import pytest

from ansible_collections.kubedc.network.plugins.module_utils.ovn import jsonstream

ORIGINAL_CLASS = getattr(ovs.json.Parser, "original", None) or ovs.json.Parser


def ORIGINAL(check_trailer=False):  # noqa: N802 - stands for ovs's parser class
    return jsonstream.ovs_parser(ORIGINAL_CLASS, check_trailer)


Fast = jsonstream.stand_in(ORIGINAL_CLASS)

# Shaped like what the NB sends: nested arrays, maps, escapes (a JSON text inside a string,
# as kubedc:declared is), non-ASCII, numbers, and a backslash right before a quote.
MESSAGE = json.dumps({
    "id": None,
    "method": "update3",
    "params": [["monid", "NB"], "00000000-0000-0000-0000-000000000000", {
        "NAT": {"9a3b1c2e-0000-4000-8000-000000000001": {"insert": {
            "external_ids": ["map", [["kubedc:declared", json.dumps({"ip_address": "10.0.0.11", "name": "a"})],
                                     ["note", "brackets ] } [ { and \\\" quotes \\\\ and caf\u00e9 \u2713"]]],
            "external_ip": "100.65.0.101", "priority": 0, "ratio": 1.5, "options": ["map", []],
        }}}}],
}, ensure_ascii=False)


def read_all(parser_class, text, chunk):
    """Feed ``text`` in pieces of ``chunk`` characters, as jsonrpc does; return every message."""
    values, parser, pending = [], None, ""
    for start in range(0, len(text), chunk):
        pending += text[start:start + chunk]
        while pending:
            parser = parser or parser_class()
            pending = pending[parser.feed(pending):]
            if not parser.is_done():
                break
            values.append(parser.finish())
            parser = None
    return values


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 4096])
def test_same_values_as_ovs_parser_whatever_the_chunking(chunk):
    stream = MESSAGE + "\n" + json.dumps([1, [2, {"a": "]"}]]) + MESSAGE
    expected = read_all(ORIGINAL, stream, 4096)
    assert len(expected) == 3
    assert read_all(Fast, stream, chunk) == expected


def test_errors_are_strings_as_ovs_parser_returns_them():
    for text in ('{"a": [1, 2}', '{"a": '):
        parser = Fast()
        parser.feed(text)
        assert isinstance(parser.finish(), str)
    strict = Fast(check_trailer=True)
    strict.feed('{"a": 1} x')
    assert strict.finish() == "trailing garbage at end of input"
    assert Fast().finish() == "empty input stream"


def test_other_top_level_values_go_to_ovs_parser():
    # ovs's parser refuses them (JSON-RPC sends objects); the stand-in must say the same.
    for text in (' "text" ', " 12 ", " true"):
        fast, original = Fast(check_trailer=True), ORIGINAL(check_trailer=True)
        fast.feed(text)
        original.feed(text)
        assert fast.finish() == original.finish()


def test_install_replaces_only_a_pure_python_parser(monkeypatch):
    class FakeJson(object):
        PARSER_PY, PARSER_C = "PYTHON", "C"
        PARSER = "C"
        Parser = ORIGINAL_CLASS

    jsonstream.install(FakeJson)
    assert FakeJson.Parser is ORIGINAL_CLASS
    FakeJson.PARSER = "PYTHON"
    jsonstream.install(FakeJson)
    installed = FakeJson.Parser
    assert installed.original is ORIGINAL_CLASS
    jsonstream.install(FakeJson)
    assert FakeJson.Parser is installed, "installing twice must not wrap the wrapper"
