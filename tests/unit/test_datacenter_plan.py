# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The datacenter file's planning: checks, the decision tree, check-mode deferral, the summary."""

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.kubedc.network.plugins.plugin_utils import datacenter

REPO = Path(__file__).resolve().parents[2]
ROLES = ("project_bootstrap", "service_exposure", "project_teardown")


def example():
    return yaml.safe_load((REPO / "examples" / "datacenter.yml").read_text())["kubedc_datacenter"]


def problems(edit):
    file = example()
    edit(file)
    with pytest.raises(datacenter.DatacenterError) as caught:
        datacenter.plan(file)
    return caught.value.problems


def prod(file):
    return file["organizations"][0]["projects"][0]


def test_the_example_becomes_one_entry_per_project_and_kind():
    plan = datacenter.plan(example())
    assert plan["platform"] == "ovn" and plan["exclusive"] is True and plan["connection"] == {}
    assert [n["name"] for n in plan["external_networks"]] == ["ext-cloud", "ext-public"]
    assert plan["projects"] == [
        dict(organization="acme", name="prod", cidr="10.0.0.0/24", egress_network_type="cloud"),
        dict(organization="acme", name="web", cidr="10.0.0.0/24", egress_network_type="public"),
    ]
    # app: ssh -> a FIP; app: tcp -> an EIP named after the service and a binding on it;
    # eip: default-gw -> bindings on the project's own address.
    assert plan["eips"] == [
        dict(organization="acme", project="prod", eips=[dict(name="db"), dict(name="shop")]),
        dict(organization="acme", project="web", eips=[]),
    ]
    assert plan["fips"][0]["fips"] == [
        dict(name="admin", ip_address="10.0.0.12", external_network_type="public"),
        dict(name="bastion", ip_address="10.0.0.11"),
    ]
    assert plan["bindings"] == [
        dict(organization="acme", project="prod", bindings=[
            dict(name="shop", eip="shop", protocol="tcp", port=443, backends=["10.0.0.20:8443", "10.0.0.21:8443"])]),
        dict(organization="acme", project="web", bindings=[
            dict(name="http", eip="default-gw", protocol="tcp", port=80, backends=["10.0.0.20:8080"]),
            dict(name="metrics", eip="default-gw", protocol="tcp", port=9100, backends=["10.0.0.20:9100"])]),
    ]
    assert plan["counts"] == dict(organizations=1, projects=2, eips=2, fips=2, bindings=3)


def test_connection_options_are_split_by_who_takes_them():
    file = example()
    file["connection"] = dict(ovn_nb_connection="ssl:10.0.0.1:6641", ovn_nb_ca_cert="/ca.pem", kubeconfig="/kube", context="c",
                              ovn_sb_connection="ssl:10.0.0.1:6642")
    plan = datacenter.plan(file)
    assert plan["connection"] == dict(ovn_nb_connection="ssl:10.0.0.1:6641", ovn_nb_ca_cert="/ca.pem")
    assert plan["kubernetes"] == dict(kubeconfig="/kube", context="c")
    assert plan["southbound"] == dict(ovn_sb_connection="ssl:10.0.0.1:6642")


def test_udp_and_an_explicit_eip():
    file = example()
    prod(file)["services"] = [dict(name="game", app="udp", port=7777, backends=["10.0.0.30:7777"], eip="db")]
    plan = datacenter.plan(file)
    assert plan["bindings"][0]["bindings"] == [dict(name="game", eip="db", protocol="udp", port=7777, backends=["10.0.0.30:7777"])]
    # db is declared already: not added twice.
    assert plan["eips"][0]["eips"] == [dict(name="db")]


@pytest.mark.parametrize(
    "edit,expected",
    [
        (lambda f: f.update(platform="vmware"), ["platform: 'vmware' is not one of ovn, kube_dc"]),
        (lambda f: f.update(platform="kube_dc"), ["platform: 'kube_dc' is not supported by the datacenter roles yet"]),
        (lambda f: prod(f).update(cidr="10.0.0.1/24"),
         ["organizations[0].projects[0].cidr (acme-prod): '10.0.0.1/24' is not an IPv4 network"]),
        (lambda f: prod(f).update(name="Prod"), ["organizations[0].projects[0].name: 'Prod' is not a lower-case RFC 1123 label"]),
        (lambda f: prod(f).update(egress_network_type="public") or f["external_networks"].pop(),
         ["organizations[0].projects[0].egress_network_type (acme-prod): 'public' has no external network of that type",
          "organizations[0].projects[1].egress_network_type (acme-web): 'public' has no external network of that type"]),
        (lambda f: prod(f)["eips"].append(dict(name="default-gw")),
         ["organizations[0].projects[0].eips[1].name: 'default-gw' is the project's own default-gateway EIP"]),
        (lambda f: prod(f)["fips"].append(dict(name="x", ip_address="10.0.0.5", vm_name="vm")),
         ["organizations[0].projects[0].fips[1] (x): ['ip_address', 'vm_name'] needs exactly one target"]),
        (lambda f: prod(f)["services"].append(dict(name="x")),
         ["organizations[0].projects[0].services[2] (x): None needs expose (route, fip, load_balancer) or an app"]),
        (lambda f: prod(f)["services"].append(dict(name="x", app="tcp", backends=["10.0.0.1:1"], service="svc")),
         ["organizations[0].projects[0].services[2].port (x): None is required to expose a service by load balancer",
          "organizations[0].projects[0].services[2] (x): None needs exactly one of backends (ip:port) and service"]),
        (lambda f: prod(f)["services"].append(dict(name="admin", app="ssh", ip_address="10.0.0.40")),
         ["organizations[0].projects[0].fips[2].name: 'admin' is the name of organizations[0].projects[0].fips[0] too; "
          "each FIP of the project (services exposed by FIP included) may appear once"]),
        (lambda f: f["organizations"].append(copy.deepcopy(f["organizations"][0])),
         ["organizations[1].name: 'acme' is the name of organizations[0] too"]),
    ],
)
def test_every_problem_is_named_by_its_path(edit, expected):
    found = problems(edit)
    for message in expected:
        assert any(p.startswith(message) for p in found), found
    assert len(found) == len(expected), found


def test_the_error_lists_every_problem():
    def two(file):
        prod(file)["cidr"] = "nope"
        file["organizations"][0]["projects"][1]["fips"] = [dict(name="x", ip_address="10.0.1.1")]
    with pytest.raises(datacenter.DatacenterError) as caught:
        datacenter.plan(_edited(two))
    text = str(caught.value)
    assert text.startswith("the datacenter file has 2 problem(s), nothing was changed:\n")
    assert "organizations[0].projects[1].fips[0].ip_address (x): '10.0.1.1' is outside the project's cidr 10.0.0.0/24" in text


def _edited(edit):
    file = example()
    edit(file)
    return file


def _result(kind, before, after, **extra):
    return dict(changed=before != after, diff=dict(before={kind: before}, after={kind: after}), **extra)


def test_plannable_defers_what_depends_on_something_new():
    plan = datacenter.plan(example())
    # In check mode the public network would be created: acme-web egresses through it.
    networks = dict(results=[
        dict(changed=False, diff=dict(before=dict(name="ext-cloud"), after=dict(name="ext-cloud")), external_network=dict(network_type="cloud")),
        dict(changed=True, diff=dict(before={}, after=dict(name="ext-public")), external_network=dict(network_type="public")),
    ])
    first = datacenter.plannable(plan, networks=networks)
    assert [p["name"] for p in first["projects"]] == ["prod"] and first["deferred"] == ["acme-web"]
    # acme-prod would be created by the project task: nothing in it can be planned either.
    projects = _result("projects", [], [dict(namespace="acme-prod", organization="acme", name="prod")])
    second = datacenter.plannable(first, projects=projects)
    assert second["deferred"] == ["acme-prod", "acme-web"]
    assert second["eips"] == second["fips"] == second["bindings"] == []
    summary = datacenter.summary(second, dict(project=projects))
    assert summary["lines"] == [
        "acme-prod:", "  create project network", "  create eip db", "  create eip shop", "  create fip admin",
        "  create fip bastion", "  create binding shop",
        "acme-web:", "  create project network", "  create binding http", "  create binding metrics",
        "9 to create, 0 to change, 0 to remove.",
    ]
    # Without results nothing is left out.
    assert datacenter.plannable(plan)["eips"] == plan["eips"]


def test_summary_puts_removals_first_and_counts_changes():
    plan = datacenter.plan(example())
    fip = dict(namespace="acme-prod", organization="acme", project="prod")
    results = dict(
        fip=_result("fips", [dict(fip, name="a", ip_address="10.0.0.1"), dict(fip, name="b")],
                    [dict(fip, name="a", ip_address="10.0.0.2"), dict(fip, name="c")]),
        eip=[dict(skipped=True), _result("eips", [dict(fip, name="old")], [])],
        binding=dict(results=[dict(changed=True, commands=["x", "y"])]),
    )
    summary = datacenter.summary(plan, results)
    assert summary["lines"] == [
        "acme-prod:",
        "  remove eip old", "  remove fip b", "  create fip c", "  change fip a",
        "binding: 2 row operation(s); run with --diff to see them object by object",
        "1 to create, 1 to change, 2 to remove.",
    ]
    assert summary["totals"] == dict(created=1, changed=1, removed=2)


def test_the_three_roles_take_the_same_file():
    specs = [yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text()) for role in ROLES]
    shapes = [spec["argument_specs"]["main"]["options"]["kubedc_datacenter"] for spec in specs]
    assert shapes[0] == shapes[1] == shapes[2]
    # Every key the planner reads is in the shape, so a file the roles accept is a file it plans.
    project = shapes[0]["options"]["organizations"]["options"]["projects"]["options"]
    assert set(datacenter.TARGET_KEYS) <= set(project["fips"]["options"])
    assert set(project["services"]["options"]["app"]["choices"]) == set(datacenter.DECISION_TREE)
    assert set(project["services"]["options"]["expose"]["choices"]) == set(datacenter.EXPOSURES)
    assert set(shapes[0]["options"]["connection"]["options"]) == set(datacenter.NB_KEYS + datacenter.SB_KEYS + datacenter.KUBE_KEYS)
