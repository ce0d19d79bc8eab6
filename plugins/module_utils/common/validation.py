# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""Input checks shared by all modules.

Every check raises ``InvalidInput`` naming the field and the value, so a user
sees at once which key of a playbook or datacenter file is wrong.
"""

import re

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    InvalidInput,
)

try:
    import netaddr

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - reported by the module base class
    netaddr = None
    HAS_NETADDR = False

# Kubernetes namespace and object names (RFC 1123 labels) are the strictest
# names any platform of ours accepts, and OVN names derived from them stay valid.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_LABEL_MAX = 63


def dns_label(field, value):
    """Return ``value`` if it is a valid RFC 1123 label, else raise."""
    if not isinstance(value, str) or not _DNS_LABEL.match(value):
        raise InvalidInput(
            field,
            value,
            "is not a valid name: use lower-case letters, digits and '-', "
            "starting and ending with a letter or digit",
        )
    if len(value) > DNS_LABEL_MAX:
        raise InvalidInput(
            field, value, "is longer than {0} characters".format(DNS_LABEL_MAX)
        )
    return value


def dns_name(field, value):
    """Return ``value`` without a trailing dot if it is a lower-case DNS name of RFC 1123
    labels (at most 253 characters; no wildcard), else raise."""
    name = value[:-1] if isinstance(value, str) and value.endswith(".") else value
    if not isinstance(name, str) or not name or len(name) > 253:
        raise InvalidInput(field, value, "is not a DNS name of at most 253 characters")
    for label in name.split("."):
        try:
            dns_label(field, label)
        except InvalidInput:
            raise InvalidInput(field, value, "is not a DNS name: use lower-case labels of letters, digits and '-' "
                               "separated by dots, like web.example.com")
    return name


def ipv4_network(field, value):
    """Parse a CIDR like ``10.0.0.0/24``; host bits must be zero."""
    try:
        if "/" not in str(value):
            raise ValueError("no prefix length")
        net = netaddr.IPNetwork(str(value))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise InvalidInput(field, value, "is not a valid IPv4 CIDR (for example 10.0.0.0/24)")
    if net.version != 4:
        raise InvalidInput(field, value, "is not an IPv4 network")
    if net.ip != net.network:
        raise InvalidInput(
            field,
            value,
            "has host bits set; did you mean {0}?".format(net.cidr),
        )
    if net.prefixlen > 30:
        raise InvalidInput(field, value, "is too small: a /30 or larger network is needed")
    return net


def ipv4_address(field, value):
    """Parse a plain IPv4 address."""
    try:
        addr = netaddr.IPAddress(str(value), flags=netaddr.INET_PTON)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise InvalidInput(field, value, "is not a valid IPv4 address")
    if addr.version != 4:
        raise InvalidInput(field, value, "is not an IPv4 address")
    return addr


def host_in(field, value, network):
    """Parse an address that must be a usable host address of ``network``."""
    addr = ipv4_address(field, value)
    if addr not in network:
        raise InvalidInput(field, value, "is outside {0}".format(network.cidr))
    if addr in (network.network, network.broadcast):
        raise InvalidInput(
            field,
            value,
            "is the network or broadcast address of {0}".format(network.cidr),
        )
    return addr


def address_ranges(field, values, network):
    """Parse a list of ``a.b.c.d``, ``a.b.c.d-e.f.g.h`` or CIDR items into an IPSet.

    Every item must lie inside ``network``.
    """
    result = netaddr.IPSet()
    for index, item in enumerate(values or []):
        item_field = "{0}[{1}]".format(field, index)
        text = str(item).strip()
        try:
            if "-" in text:
                first, last = (part.strip() for part in text.split("-", 1))
                part = netaddr.IPSet(
                    netaddr.IPRange(
                        netaddr.IPAddress(first, flags=netaddr.INET_PTON),
                        netaddr.IPAddress(last, flags=netaddr.INET_PTON),
                    )
                )
            elif "/" in text:
                part = netaddr.IPSet([netaddr.IPNetwork(text).cidr])
            else:
                part = netaddr.IPSet([netaddr.IPAddress(text, flags=netaddr.INET_PTON)])
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise InvalidInput(
                item_field,
                item,
                "is not an address, a range 'first-last' or a CIDR",
            )
        if not part.issubset(netaddr.IPSet([network])):
            raise InvalidInput(item_field, item, "is not inside {0}".format(network.cidr))
        result |= part
    return result


def name_list(field, values):
    """A list of distinct, non-empty names without commas or surrounding blanks
    (chassis names are stored comma-joined)."""
    values = list(values or [])
    for index, name in enumerate(values):
        if not isinstance(name, str) or not name or "," in name or name != name.strip():
            raise InvalidInput("{0}[{1}]".format(field, index), name, "is not a valid name")
    if len(set(values)) != len(values):
        raise InvalidInput(field, values, "lists the same name twice")
    return values


def format_ranges(ipset):
    """Render an IPSet as a stable, compact list of 'a-b' / 'a' strings."""
    out = []
    for iprange in ipset.iter_ipranges():
        if iprange.first == iprange.last:
            out.append(str(netaddr.IPAddress(iprange.first)))
        else:
            out.append("{0}-{1}".format(iprange[0], iprange[-1]))
    return out
