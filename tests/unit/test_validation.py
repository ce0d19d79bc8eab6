# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.kubedc.network.plugins.module_utils.common import validation as v
from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput


@pytest.mark.parametrize("value", ["acme", "a", "acme-prod-2", "0abc", "a" * 63])
def test_dns_label_accepts(value):
    assert v.dns_label("name", value) == value


@pytest.mark.parametrize("value", ["Acme", "-acme", "acme-", "acme_prod", "acme.prod", "", "a" * 64, None, "ac me"])
def test_dns_label_refuses_naming_field_and_value(value):
    with pytest.raises(InvalidInput) as err:
        v.dns_label("organization", value)
    assert err.value.details == {"field": "organization", "value": value}
    assert str(err.value).startswith("organization: %r " % (value,))


@pytest.mark.parametrize("value,name", [("web.example.com", "web.example.com"), ("web.example.com.", "web.example.com"), ("a", "a")])
def test_dns_name_accepts_and_drops_the_root_dot(value, name):
    assert v.dns_name("hostname", value) == name


@pytest.mark.parametrize("value,reason", [
    ("", "is not a DNS name of at most 253 characters"),
    (".", "is not a DNS name of at most 253 characters"),
    (None, "is not a DNS name of at most 253 characters"),
    (".".join(["a" * 63] * 4), "is not a DNS name of at most 253 characters"),
    ("Web.example.com", "is not a DNS name: use lower-case labels"),
    ("web..example.com", "is not a DNS name: use lower-case labels"),
    ("*.example.com", "is not a DNS name: use lower-case labels"),
])
def test_dns_name_refuses_naming_field_and_value(value, reason):
    with pytest.raises(InvalidInput) as err:
        v.dns_name("hostname", value)
    assert str(err.value).startswith("hostname: %r %s" % (value, reason)), str(err.value)


@pytest.mark.parametrize(
    "value,reason",
    [
        ("10.0.0.0", "not a valid IPv4 CIDR"),
        ("10.0.0/24", "not a valid IPv4 CIDR"),
        ("10.0.0.0/33", "not a valid IPv4 CIDR"),
        ("300.0.0.0/24", "not a valid IPv4 CIDR"),
        ("fd00::/64", "not an IPv4 network"),
        ("10.0.0.1/24", "has host bits set; did you mean 10.0.0.0/24?"),
        ("10.0.0.0/31", "too small"),
    ],
)
def test_ipv4_network_refuses(value, reason):
    with pytest.raises(InvalidInput) as err:
        v.ipv4_network("cidr", value)
    assert reason in str(err.value) and "cidr: %r" % value in str(err.value)


def test_host_in_network():
    net = v.ipv4_network("cidr", "10.0.0.0/24")
    assert str(v.host_in("gateway", "10.0.0.1", net)) == "10.0.0.1"
    cases = (
        ("10.0.1.1", "outside"),
        ("10.0.0.0", "network or broadcast"),
        ("10.0.0.255", "network or broadcast"),
        ("x", "not a valid IPv4 address"),
    )
    for bad, reason in cases:
        with pytest.raises(InvalidInput) as err:
            v.host_in("gateway", bad, net)
        assert reason in str(err.value)


def test_address_ranges_round_trip():
    net = v.ipv4_network("cidr", "100.65.0.0/16")
    got = v.address_ranges("reserved", ["100.65.0.2-100.65.0.9", "100.65.1.0/30", "100.65.0.10"], net)
    assert v.format_ranges(got) == ["100.65.0.2-100.65.0.10", "100.65.1.0-100.65.1.3"]
    with pytest.raises(InvalidInput) as err:
        v.address_ranges("reserved", ["100.65.0.2", "10.0.0.1"], net)
    assert "reserved[1]: '10.0.0.1' is not inside 100.65.0.0/16" == str(err.value)
    with pytest.raises(InvalidInput) as err:
        v.address_ranges("reserved", ["100.65.0.9-nope"], net)
    assert "reserved[0]" in str(err.value)


def test_name_list():
    assert v.name_list("gateway_chassis", ["a", "b"]) == ["a", "b"]
    for bad in (["a", "a"], ["a,b"], [""], [" a"]):
        with pytest.raises(InvalidInput):
            v.name_list("gateway_chassis", bad)
