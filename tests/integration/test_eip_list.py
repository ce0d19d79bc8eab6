# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""eip's list form: many EIPs in one task and one transaction, and exclusive pruning."""

import pytest

from support import EXT_CLOUD, EXT_PUBLIC, rhythm

PROJECT = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
SCOPE = dict(organization="acme", project="prod")


@pytest.fixture
def project(lab, ext_cloud):
    return lab.run("project_network", PROJECT)["project_network"]


def eips(*items, **options):
    """eips("a", ("b", dict(address=...)), ...): the list form's arguments."""
    listed = []
    for item in items:
        name, extra = (item, {}) if isinstance(item, str) else item
        listed.append(dict(name=name, **extra))
    return dict(SCOPE, eips=listed, **options)


def allocations(lab, network=None):
    """owner -> address of every eip/ allocation in an external network (ext-cloud unless named)."""
    allocated = lab.run("external_network", network or EXT_CLOUD, check=True)["external_network"]["allocated"]
    return dict((a["owner"], a["address"]) for a in allocated if a["owner"].startswith("eip/"))


def test_rhythm_of_a_list_across_two_networks(lab, project, ext_public):
    present = eips(
        ("web", dict(external_network_type="public")),
        ("bastion", dict(address="100.65.0.200")),
        "db",
        ("api", dict(external_network="ext-cloud")),
    )
    absent = dict(SCOPE, state="absent", eips=[dict(name=n) for n in ("web", "bastion", "db", "api")])
    applied = rhythm(lab, "eip", present, absent, key="eips")
    assert [(e["name"], e["address"], e["external_network"], e["network_type"], e["users"]) for e in applied["eips"]] == [
        ("web", "198.51.100.2", "ext-public", "public", []),
        ("bastion", "100.65.0.200", "ext-cloud", "cloud", []),
        # .100 is the project's default-gateway address
        ("db", "100.65.0.101", "ext-cloud", "cloud", []),
        ("api", "100.65.0.102", "ext-cloud", "cloud", []),
    ]
    assert all(e["namespace"] == "acme-prod" and e["organization"] == "acme" and e["project"] == "prod" for e in applied["eips"])
    assert applied["removed"] == []
    assert "eip" not in applied
    # One transaction, in the order of the list.
    assert applied["commands"] == [
        "allocate 198.51.100.2 in external network ext-public for eip/acme-prod/web",
        "allocate 100.65.0.200 in external network ext-cloud for eip/acme-prod/bastion",
        "allocate 100.65.0.101 in external network ext-cloud for eip/acme-prod/db",
        "allocate 100.65.0.102 in external network ext-cloud for eip/acme-prod/api",
    ]


def test_absent_list_reports_removed_and_an_absent_list_is_empty(lab, project):
    lab.run("eip", eips("a", "b"))
    gone = lab.run("eip", dict(SCOPE, state="absent", eips=[dict(name="b"), dict(name="never")]))
    assert gone["removed"] == ["b"] and gone["eips"] == []
    assert gone["diff"] == dict(before=dict(eips=[dict(
        name="b", organization="acme", project="prod", namespace="acme-prod",
        address="100.65.0.102", external_network="ext-cloud", network_type="cloud", users=[],
    )]), after=dict(eips=[]))
    assert allocations(lab) == {"eip/acme-prod/a": "100.65.0.101"}


def test_single_form_reads_the_list_forms_eips(lab, project):
    lab.run("eip", eips("a", ("b", dict(address="100.65.0.150"))))
    single = lab.run("eip", dict(SCOPE, name="b"))
    assert single["changed"] is False and single["eip"]["address"] == "100.65.0.150"
    assert "eips" not in single and "removed" not in single


def test_exclusive_prunes_first_and_an_empty_list_releases_all(lab, project, ext_public):
    start = lab.ovn.dump_nb()
    lab.run("eip", eips("a", ("b", dict(external_network_type="public")), "c"))
    assert allocations(lab) == {"eip/acme-prod/a": "100.65.0.101", "eip/acme-prod/c": "100.65.0.102"}
    # Without exclusive, a shorter list leaves the others alone.
    kept = lab.run("eip", eips("a"))
    assert kept["changed"] is False and kept["removed"] == [] and [e["name"] for e in kept["eips"]] == ["a"]

    plan = lab.run("eip", eips("a", "d", exclusive=True), check=True)
    assert plan["removed"] == ["b", "c"]
    assert [(e["name"], e["address"]) for e in plan["diff"]["before"]["eips"]] == [
        ("a", "100.65.0.101"), ("b", "198.51.100.2"), ("c", "100.65.0.102"),
    ]
    assert [(e["name"], e["address"]) for e in plan["diff"]["after"]["eips"]] == [("a", "100.65.0.101"), ("d", "100.65.0.103")]
    assert plan["commands"] == [
        "release 198.51.100.2 in external network ext-public from eip/acme-prod/b",
        "release 100.65.0.102 in external network ext-cloud from eip/acme-prod/c",
        # Not c's address, released in the same transaction: an address is not handed on in the task that frees it.
        "allocate 100.65.0.103 in external network ext-cloud for eip/acme-prod/d",
    ]
    pruned = lab.run("eip", eips("a", "d", exclusive=True))
    assert pruned["commands"] == plan["commands"] and pruned["removed"] == ["b", "c"]
    assert pruned["eips"] == plan["eips"]
    assert allocations(lab) == {"eip/acme-prod/a": "100.65.0.101", "eip/acme-prod/d": "100.65.0.103"}
    assert allocations(lab, EXT_PUBLIC) == {}
    again = lab.run("eip", eips("a", "d", exclusive=True))
    assert again["changed"] is False and again["removed"] == []

    nothing = lab.run("eip", dict(SCOPE, eips=[], exclusive=True))
    assert nothing["removed"] == ["a", "d"] and nothing["eips"] == []
    assert [e["name"] for e in nothing["diff"]["before"]["eips"]] == ["a", "d"]
    assert lab.run("eip", dict(SCOPE, eips=[], exclusive=True))["changed"] is False
    # What is left is what there was before any EIP.
    assert lab.ovn.dump_nb() == start


def test_a_pruned_address_may_be_asked_for_by_name_in_the_same_task(lab, project):
    lab.run("eip", eips("old"))
    moved = lab.run("eip", eips(("new", dict(address="100.65.0.101")), exclusive=True))
    assert moved["removed"] == ["old"]
    assert moved["commands"] == [
        "release 100.65.0.101 in external network ext-cloud from eip/acme-prod/old",
        "allocate 100.65.0.101 in external network ext-cloud for eip/acme-prod/new",
    ]
    assert allocations(lab) == {"eip/acme-prod/new": "100.65.0.101"}


def test_pruning_a_used_eip_is_refused_naming_its_users_unless_forced(lab, project):
    start = lab.ovn.dump_nb()
    lab.run("eip", eips("a", "b"))
    lab.run("fip", dict(SCOPE, name="web", eip="a", ip_address="10.0.0.11"))
    user = "NAT dnat_and_snat 100.65.0.101 -> 10.0.0.11"
    listed = lab.run("eip", eips("a", "b"))
    assert listed["changed"] is False and listed["eips"][0]["users"] == [user]
    for check in (False, True):
        result = lab.fails("eip", dict(SCOPE, eips=[], exclusive=True), check=check)
        assert result["msg"] == (
            "exclusive: EIP a (100.65.0.101) is not in the list, but still used by " + user + "; remove those "
            "first, keep it in the list, or set force: true to release it anyway"
        )
        assert result["users"] == [user] and result["field"] == "exclusive" and result["eip"] == "a"
    # Listed with state=absent, the item is named.
    result = lab.fails("eip", dict(SCOPE, state="absent", eips=[dict(name="b"), dict(name="a")]))
    assert result["msg"] == (
        "eips[1] (a): EIP a (100.65.0.101) is still used by " + user + "; remove those first, or set "
        "force: true to release it anyway"
    )
    # Keeping it in the list is fine: only b goes.
    kept = lab.run("eip", eips("a", exclusive=True))
    assert kept["removed"] == ["b"] and kept["eips"][0]["users"] == [user]

    forced_plan = lab.run("eip", dict(SCOPE, eips=[], exclusive=True, force=True), check=True)
    assert forced_plan["removed"] == ["a"]
    assert forced_plan["diff"]["before"]["eips"][0]["users"] == [user]
    assert forced_plan["commands"] == ["release 100.65.0.101 in external network ext-cloud from eip/acme-prod/a"]

    # The clean way: the FIP goes first, then the EIP is pruned without force.
    lab.run("fip", dict(SCOPE, name="web", state="absent"))
    assert lab.run("eip", dict(SCOPE, eips=[], exclusive=True))["removed"] == ["a"]
    assert lab.ovn.dump_nb() == start


def test_forced_pruning_releases_an_address_still_in_use(lab, project):
    lab.run("eip", eips("a"))
    lab.ovn.nbctl("lb-add", "web-lb", "100.65.0.101:443", "10.0.0.7:8443", "tcp", "--", "lr-lb-add", "acme-prod", "web-lb")
    result = lab.fails("eip", dict(SCOPE, eips=[], exclusive=True))
    assert "still used by Load_Balancer web-lb VIP 100.65.0.101:443;" in result["msg"]
    forced = lab.run("eip", dict(SCOPE, eips=[], exclusive=True, force=True))
    assert forced["removed"] == ["a"] and forced["changed"] is True
    assert allocations(lab) == {}


def test_many_eips_in_one_task(lab, project):
    start = lab.ovn.dump_nb()
    many = eips(*["e%03d" % i for i in range(150)])
    planned = lab.run("eip", many, check=True)
    applied = lab.run("eip", many)
    addresses = [e["address"] for e in applied["eips"]]
    assert len(set(addresses)) == 150
    assert addresses == ["100.65.0.%d" % (101 + i) for i in range(150)]
    # Check mode previews the very addresses the real run gives.
    assert planned["eips"] == applied["eips"] and planned["commands"] == applied["commands"]
    assert allocations(lab) == dict(("eip/acme-prod/e%03d" % i, a) for i, a in enumerate(addresses))
    again = lab.run("eip", many)
    assert again["changed"] is False and again["eips"] == applied["eips"]
    pruned = lab.run("eip", dict(SCOPE, eips=[], exclusive=True))
    assert pruned["removed"] == ["e%03d" % i for i in range(150)]
    assert lab.ovn.dump_nb() == start


@pytest.mark.parametrize(
    "args,message,field",
    [
        (eips("a", "a"),
         "eips[1] (a): name: 'a' is the name of eips[0] (a) too; each may appear once in the list", "eips[1].name"),
        (eips(("a", dict(address="100.65.0.200")), ("b", dict(address="100.65.0.200"))),
         "eips[1] (b): address: '100.65.0.200' is the address of eips[0] (a) too; each may appear once in the list",
         "eips[1].address"),
        (eips("a", ("b", dict(address="100.66.0.1"))),
         "eips[1] (b): address: '100.66.0.1' is outside external network ext-cloud (100.65.0.0/16)", "eips[1].address"),
        (eips("a", ("b", dict(address="100.65.0.5"))),
         "eips[1] (b): address: '100.65.0.5' is not allocatable in external network ext-cloud", "eips[1].address"),
        (eips("a", ("b", dict(address="nope"))),
         "eips[1] (b): address: 'nope' is not a valid IPv4 address", "eips[1].address"),
        (eips("a", ("b", dict(address="100.65.0.100"))),
         "eips[1] (b): address: '100.65.0.100' is already allocated in external network ext-cloud to project_network/acme-prod",
         "eips[1].address"),
        (eips("a", ("b", dict(address="100.65.0.101"))),
         "eips[1] (b): address: '100.65.0.101' is already allocated in external network ext-cloud to eip/acme-prod/z",
         "eips[1].address"),
        (eips("a", "default-gw"),
         "eips[1] (default-gw): name: 'default-gw' is the project's default-gateway address", "eips[1].name"),
        (eips("a", "B"),
         "eips[1] (B): name: 'B' is not a valid name", "eips[1].name"),
        (eips("a", ("b", dict(external_network="ext-x"))),
         "eips[1] (b): external_network: 'ext-x' is not an external network managed by kubedc.network", "eips[1].external_network"),
        (eips("a", ("z", dict(address="100.65.0.222"))),
         "eips[1] (z): address: EIP z holds 100.65.0.101; an EIP's address cannot change", "eips[1].address"),
        (eips("a", ("z", dict(external_network_type="public"))),
         "eips[1] (z): external_network_type: EIP z holds 100.65.0.101 in external network ext-cloud (cloud); "
         "it cannot move to ext-public (public)", "eips[1].external_network_type"),
        (dict(eips("a"), project="nowhere"),
         "project: 'nowhere' has no project network acme-nowhere", "project"),
        (dict(SCOPE, name="a", exclusive=True),
         "exclusive: True needs the list form (eips: [...])", "exclusive"),
        (dict(SCOPE, eips=[dict(name="a")], state="absent", exclusive=True),
         "exclusive: True only applies with state=present", "exclusive"),
        (dict(SCOPE, name="a", eips=[]),
         "parameters are mutually exclusive: eips|name", None),
        (dict(SCOPE, address="100.65.0.200", eips=[dict(name="a")]),
         "parameters are mutually exclusive: eips|address", None),
        (dict(SCOPE),
         "one of the following is required: name, eips", None),
        (eips(("a", dict(external_network_type="private"))),
         "value of external_network_type must be one of: cloud, public, got: private found in eips", None),
    ],
)
def test_one_bad_item_writes_nothing_and_is_named(lab, project, ext_public, args, message, field):
    lab.run("eip", eips("z"))
    for check in (False, True):
        result = lab.fails("eip", args, check=check)
        assert result["msg"].startswith(message), result["msg"]
        assert result.get("field") == field
