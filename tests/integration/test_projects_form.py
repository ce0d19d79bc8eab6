# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The projects form: several projects of a datacenter file in one task and one transaction."""

import pytest

from support import UPSTREAM_MAC, rhythm

PROD = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
WEB = dict(organization="acme", name="web", cidr="10.0.0.0/24", egress_network_type="public")
OTHER = dict(organization="beta", name="prod", cidr="10.1.0.0/24")


@pytest.fixture
def projects(lab, ext_cloud, ext_public):
    made = lab.run("project_network", dict(projects=[PROD, WEB]))["projects"]
    for project in made:
        # Port names are global in the NB; the address is the same in both (isolated) projects.
        lab.workload_port(project["switch"], project["name"] + "-vm1", "0a:00:00:00:10:01", "10.0.0.11")
    return dict((p["namespace"], p) for p in made)


def entry(name, organization="acme", **lists):
    return dict(organization=organization, project=name, **lists)


def fip(name, ip, **extra):
    return dict(name=name, ip_address=ip, **extra)


def inbound(lab, project, network, external_ip):
    gateway_mac = lab.ovn.nbctl("get", "Logical_Router_Port", project["gateway_router_port"], "mac").strip().strip('"')
    flow = (
        'inport=="localnet.{net}" && eth.src=={up} && eth.dst=={gw} && ip4.src==203.0.113.9 && '
        "ip4.dst=={fip} && ip.ttl==64 && tcp && tcp.src==40000 && tcp.dst==22"
    ).format(net=network, up=UPSTREAM_MAC, gw=gateway_mac, fip=external_ip)
    return lab.ovn.trace(network, flow).outputs


def test_project_networks_rhythm(lab, ext_cloud, ext_public):
    present = dict(projects=[PROD, WEB, OTHER])
    absent = dict(state="absent", projects=[dict(organization=p["organization"], name=p["name"]) for p in (PROD, WEB, OTHER)])
    applied = rhythm(lab, "project_network", present, absent, key="projects")
    assert [(p["namespace"], p["cidr"], p["external_network"]) for p in applied["projects"]] == [
        ("acme-prod", "10.0.0.0/24", "ext-cloud"),
        ("acme-web", "10.0.0.0/24", "ext-public"),
        ("beta-prod", "10.1.0.0/24", "ext-cloud"),
    ]
    # One transaction picked three addresses: no two projects were shown the same one.
    gateways = [p["default_gateway_ip"] for p in applied["projects"]]
    assert len(set(gateways)) == 3


def test_projects_form_agrees_with_the_single_form(lab, ext_cloud, ext_public):
    single = lab.run("project_network", PROD)["project_network"]
    both = lab.run("project_network", dict(projects=[PROD, WEB]))
    assert both["projects"][0] == single
    assert all(not c.endswith("acme-prod") for c in both["commands"] if c.startswith("create Logical_Router "))
    assert lab.run("project_network", WEB, check=True)["changed"] is False


def test_fips_of_two_projects_rhythm_and_trace(lab, projects):
    present = dict(projects=[
        entry("prod", fips=[fip("ssh", "10.0.0.11")]),
        entry("web", fips=[fip("ssh", "10.0.0.11", external_network_type="public"), fip("db", "10.0.0.12")]),
    ])
    absent = dict(state="absent", projects=[
        entry("prod", fips=[dict(name="ssh")]),
        entry("web", fips=[dict(name="ssh"), dict(name="db")]),
    ])
    applied = rhythm(lab, "fip", present, absent, key="fips")
    assert [(f["namespace"], f["name"], f["network_type"]) for f in applied["fips"]] == [
        ("acme-prod", "ssh", "cloud"), ("acme-web", "ssh", "public"), ("acme-web", "db", "cloud"),
    ]
    assert applied["removed"] == []
    # Same name, same target, two isolated projects: each FIP reaches its own project's VM.
    lab.run("fip", present)
    applied = lab.run("fip", present)["fips"]
    assert inbound(lab, projects["acme-prod"], "ext-cloud", applied[0]["external_ip"]) == ["prod-vm1"]
    assert inbound(lab, projects["acme-web"], "ext-public", applied[1]["external_ip"]) == ["web-vm1"]


def test_exclusive_prunes_each_listed_project_and_no_other(lab, projects):
    lab.run("project_network", OTHER)
    lab.run("fip", dict(organization="beta", project="prod", name="keep", ip_address="10.1.0.5"))
    lab.run("fip", dict(projects=[
        entry("prod", fips=[fip("a", "10.0.0.11"), fip("b", "10.0.0.12")]),
        entry("web", fips=[fip("c", "10.0.0.11")]),
    ]))
    pruned = lab.run("fip", dict(exclusive=True, projects=[entry("prod", fips=[fip("a", "10.0.0.11")]), entry("web")]))
    assert pruned["removed"] == ["acme-prod/b", "acme-web/c"]
    assert [f["name"] for f in pruned["fips"]] == ["a"]
    assert [f["name"] for f in pruned["diff"]["before"]["fips"]] == ["a", "b", "c"]
    # beta-prod was not listed: its FIP stays.
    assert lab.run("fip", dict(organization="beta", project="prod", name="keep", ip_address="10.1.0.5"), check=True)["changed"] is False


def test_eips_of_two_projects_get_distinct_addresses_in_check_mode_too(lab, projects):
    args = dict(projects=[entry("prod", eips=[dict(name="web")]), entry("web", eips=[dict(name="web", external_network_type="cloud")])])
    absent = dict(state="absent", projects=[entry("prod", eips=[dict(name="web")]), entry("web", eips=[dict(name="web")])])
    applied = rhythm(lab, "eip", args, absent, key="eips")
    addresses = [e["address"] for e in applied["eips"]]
    assert len(set(addresses)) == 2 and all(a.startswith("100.65.") for a in addresses)


def test_bindings_of_two_projects_rhythm_and_trace(lab, projects):
    lab.run("eip", dict(organization="acme", project="prod", name="lb"))
    present = dict(projects=[
        entry("prod", bindings=[dict(name="https", eip="lb", port=443, backends=["10.0.0.11:8443"])]),
        entry("web", bindings=[dict(name="http", port=80, backends=["10.0.0.11:8080"])]),
    ])
    absent = dict(state="absent", projects=[entry("prod", bindings=[dict(name="https")]), entry("web", bindings=[dict(name="http")])])
    applied = rhythm(lab, "lb_binding", present, absent, key="bindings")
    assert [(b["namespace"], b["port"]) for b in applied["bindings"]] == [("acme-prod", 443), ("acme-web", 80)]
    vip = lab.run("lb_binding", present)["bindings"][0]
    trace = lab.trace_client(projects["acme-prod"], vip["address"], 443, "10.0.0.11:8443")
    assert trace.outputs == ["prod-vm1"]


@pytest.mark.parametrize(
    "module,args,message,field",
    [
        ("fip", dict(projects=[entry("prod", fips=[fip("a", "10.0.0.11")]), entry("web", fips=[fip("a", "10.0.9.1")])]),
         "projects[1] (acme-web): fips[0] (a): ip_address: '10.0.9.1' is outside 10.0.0.0/24", "projects[1].fips[0].ip_address"),
        ("fip", dict(projects=[entry("prod"), entry("prod")]),
         "projects[1].project: 'prod' names project acme-prod again (first in projects[0])", "projects[1].project"),
        ("fip", dict(projects=[entry("nope", fips=[fip("a", "10.0.0.11")])]),
         "projects[0] (acme-nope): project: 'nope' has no project network acme-nope", "projects[0].project"),
        ("eip", dict(projects=[entry("prod", eips=[dict(name="x", address="192.0.2.1")])]),
         "projects[0] (acme-prod): eips[0] (x): address:", "projects[0].eips[0].address"),
        ("lb_binding", dict(projects=[entry("prod", bindings=[dict(name="x", port=80, backends=["10.0.0.11:80"]),
                                                              dict(name="y", port=80, backends=["10.0.0.12:80"])])]),
         "projects[0] (acme-prod): bindings[1] (y): port:", "projects[0].bindings[1].port"),
        ("project_network", dict(projects=[PROD, dict(WEB, cidr="10.0.0.0/33")]),
         "projects[1] (acme-web): cidr: '10.0.0.0/33' is not a valid IPv4 CIDR", "projects[1].cidr"),
        ("project_network", dict(projects=[PROD, dict(organization="acme", name="x")]),
         "projects[1] (acme-x): cidr: None is required with state=present", "projects[1].cidr"),
        ("fip", dict(projects=[entry("prod")], organization="acme"),
         "parameters are mutually exclusive: projects|organization", None),
        ("project_network", dict(projects=[PROD], gateway_chassis=["gw-1"]),
         "parameters are mutually exclusive: projects|gateway_chassis", None),
    ],
)
def test_bad_entries_write_nothing_and_are_named(lab, projects, module, args, message, field):
    start = lab.ovn.dump_nb()
    for check in (False, True):
        result = lab.fails(module, args, check=check)
        assert result["msg"].startswith(message), result["msg"]
        assert result.get("field") == field
    assert lab.ovn.dump_nb() == start


@pytest.mark.parametrize("module,key", [("fip", "fips"), ("eip", "eips"), ("lb_binding", "bindings")])
def test_an_empty_list_asks_nothing_of_a_project_that_does_not_exist(lab, ext_cloud, module, key):
    # What a teardown of a half-made datacenter file does: prune projects that may not exist.
    start = lab.ovn.dump_nb()
    for check in (True, False):
        result = lab.run(module, dict(exclusive=True, projects=[entry("gone", **{key: []})]), check=check)
        assert result["changed"] is False and result[key] == [] and result["removed"] == []
    assert lab.ovn.dump_nb() == start


def test_exclusive_deletes_the_projects_the_list_no_longer_names(lab, ext_cloud, ext_public):
    lab.run("project_network", dict(projects=[PROD, WEB, OTHER]))
    # A router nobody declared (made by hand, or by Kube-OVN) is never the collection's to prune.
    lab.ovn.nbctl("lr-add", "hand-made")
    kept = dict(projects=[PROD], exclusive=True)
    start = lab.ovn.dump_nb()
    planned = lab.run("project_network", kept, check=True)
    assert planned["removed"] == [dict(organization="acme", name="web", namespace="acme-web"),
                                  dict(organization="beta", name="prod", namespace="beta-prod")]
    assert "delete Logical_Router acme-web" in planned["commands"] and "delete Logical_Router beta-prod" in planned["commands"]
    assert lab.ovn.dump_nb() == start, "check mode wrote to the NB"
    pruned = lab.run("project_network", kept)
    assert pruned["changed"] is True and pruned["removed"] == planned["removed"] and pruned["commands"] == planned["commands"]
    assert [p["namespace"] for p in pruned["projects"]] == ["acme-prod"]
    routers = lab.ovn.nbctl("--bare", "--columns=name", "list", "Logical_Router").split()
    assert sorted(routers) == ["acme-prod", "hand-made"]
    for check in (True, False):
        again = lab.run("project_network", kept, check=check)
        assert again["changed"] is False and again["removed"] == []
    # The addresses the pruned projects held are free again: a new project may take them.
    assert lab.run("project_network", dict(projects=[PROD, WEB]))["projects"][1]["default_gateway_ip"]


def test_exclusive_refuses_a_project_something_still_uses(lab, projects):
    lab.run("fip", dict(organization="acme", project="web", name="ssh", ip_address="10.0.0.11"))
    start = lab.ovn.dump_nb()
    for check in (False, True):
        result = lab.fails("project_network", dict(projects=[PROD], exclusive=True), check=check)
        assert result["msg"].startswith("exclusive (acme-web): "), result["msg"]
        assert "fip" in result["msg"] and "ssh" in result["msg"], result["msg"]
    assert lab.ovn.dump_nb() == start
    assert lab.fails("project_network", dict(PROD, exclusive=True))["msg"].startswith(
        "exclusive: True applies to the projects form (projects)")


def test_project_network_info_lists_what_the_collection_made(lab, ext_cloud, ext_public):
    made = lab.run("project_network", dict(projects=[PROD, WEB, OTHER]))["projects"]
    lab.ovn.nbctl("lr-add", "hand-made")
    start = lab.ovn.dump_nb()
    listed = lab.run("project_network_info", {})
    assert listed["changed"] is False and listed["project_networks"] == made
    assert lab.run("project_network_info", dict(organization="beta"))["project_networks"] == made[2:]
    assert lab.ovn.dump_nb() == start
    lab.run("project_network", dict(projects=[PROD], exclusive=True))
    assert [p["namespace"] for p in lab.run("project_network_info", {})["project_networks"]] == ["acme-prod"]
