# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.kubedc.network.plugins.module_utils.ovn.connection import parse_remotes


@pytest.mark.parametrize(
    "value,expected",
    [
        ("unix:/var/run/ovn/ovnnb_db.sock", ["unix:/var/run/ovn/ovnnb_db.sock"]),
        ("tcp:10.0.0.1:6641", ["tcp:10.0.0.1:6641"]),
        ("ssl:a.example:6641, ssl:b.example:6641,ssl:[fd00::1]:6641", ["ssl:a.example:6641", "ssl:b.example:6641", "ssl:[fd00::1]:6641"]),
    ],
)
def test_remotes(value, expected):
    assert parse_remotes(value) == expected


@pytest.mark.parametrize("value", ["", "10.0.0.1:6641", "tcp:10.0.0.1", "tcp:10.0.0.1:99999", "udp:1.2.3.4:1", "tcp:1.2.3.4:6641,foo"])
def test_bad_remotes_name_the_field(value):
    with pytest.raises(InvalidInput) as err:
        parse_remotes(value)
    assert str(err.value).startswith("ovn_nb_connection: %r" % value)
