# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import Conflict, InvalidInput
from ansible_collections.kubedc.network.plugins.module_utils.ovn import ipam


def pool(allocations=None, reserved="100.65.0.2-100.65.0.9"):
    ids = {
        ipam.NETWORK_TYPE_KEY: "cloud",
        ipam.CIDR_KEY: "100.65.0.0/28",
        ipam.GATEWAY_KEY: "100.65.0.1",
        ipam.RESERVED_KEY: reserved,
    }
    for address, owner in (allocations or {}).items():
        ids[ipam.address_key(address)] = owner
    return ipam.Pool.from_external_ids("ext-cloud", ids)


def test_lowest_free_address_skips_network_gateway_reserved_and_allocated():
    assert pool().pick("p/a") == "100.65.0.10"
    assert pool({"100.65.0.10": "p/b"}).pick("p/a") == "100.65.0.11"
    # /28: .0 network, .1 gateway, .2-.9 reserved, .15 broadcast => 5 usable
    assert pool().size() == 5


def test_requested_address_checks():
    p = pool({"100.65.0.11": "p/b"})
    assert p.pick("p/a", "100.65.0.12", "default_gateway_ip") == "100.65.0.12"
    assert p.pick("p/b", "100.65.0.11") == "100.65.0.11"  # its own address
    with pytest.raises(Conflict, match="already allocated in external network ext-cloud to p/b"):
        p.pick("p/a", "100.65.0.11", "default_gateway_ip")
    with pytest.raises(InvalidInput, match="is outside external network ext-cloud"):
        p.pick("p/a", "100.65.1.1", "default_gateway_ip")
    for unusable in ("100.65.0.0", "100.65.0.1", "100.65.0.5", "100.65.0.15"):
        with pytest.raises(InvalidInput, match="is not allocatable"):
            p.pick("p/a", unusable, "default_gateway_ip")


def test_exhausted_pool_is_a_clear_error():
    full = pool({"100.65.0.%d" % i: "p/%d" % i for i in range(10, 15)})
    with pytest.raises(Conflict, match=r"has no free address left: 5 allocated"):
        full.pick("p/new")


def test_addresses_of_owner():
    p = pool({"100.65.0.12": "p/a", "100.65.0.10": "p/a", "100.65.0.11": "p/b"})
    assert p.addresses_of("p/a") == ["100.65.0.10", "100.65.0.12"]


def test_picker_hands_out_in_order_and_never_twice():
    picker = pool({"100.65.0.11": "p/x"}).picker()
    assert [picker.pick("p/%d" % i) for i in range(3)] == ["100.65.0.10", "100.65.0.12", "100.65.0.13"]
    # A requested address another pick of the same picker promised is refused...
    with pytest.raises(Conflict, match="to another object of the same task"):
        picker.pick("p/y", "100.65.0.12")
    # ...and the last free one is still handed out, then the pool is exhausted, counting the promises.
    assert picker.pick("p/z") == "100.65.0.14"
    with pytest.raises(Conflict, match="has no free address left: 5 allocated"):
        picker.pick("p/w")


def test_picker_does_not_hand_on_an_address_released_in_the_same_plan():
    picker = pool({"100.65.0.10": "p/old"}).picker()
    picker.release("100.65.0.10")
    assert picker.pick("p/new") == "100.65.0.11"
    # Asked for by name, it may be taken: the release makes it free.
    assert picker.pick("p/other", "100.65.0.10") == "100.65.0.10"
