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
    services = project["services"]["options"]
    assert set(datacenter.ROUTE_KEYS) | {"route", "service"} <= set(services)
    assert services["route"]["choices"] == list(datacenter.ROUTE_TYPES)
    assert services["route_port"]["type"] == "int"
    assert shapes[0]["options"]["platform"]["choices"] == list(datacenter.PLATFORMS)
    for key, options in (("default_gateway_ip", project), ("external_network", project), ("address", project["eips"]["options"]),
                         ("pod_name", project["fips"]["options"]), ("backends", services), ("port", services)):
        assert "(platform ovn)" in options[key]["description"], key


# -- platform kube_dc -------------------------------------------------------------------------

def kube_dc_example():
    return yaml.safe_load((REPO / "examples" / "datacenter-kube-dc.yml").read_text())["kubedc_datacenter"]


def kube_dc_problems(edit):
    file = kube_dc_example()
    edit(file)
    with pytest.raises(datacenter.DatacenterError) as caught:
        datacenter.plan(file)
    return caught.value.problems


def shalb(file, index=0):
    return file["organizations"][0]["projects"][index]


def test_the_kube_dc_example_becomes_the_kube_dc_modules_arguments():
    plan = datacenter.plan(kube_dc_example())
    assert plan["platform"] == "kube_dc" and plan["exclusive"] is True and plan["external_networks"] == []
    assert plan["projects"] == [
        dict(organization="shalb", name="prod", cidr="10.0.10.0/24", egress_network_type="cloud"),
        dict(organization="shalb", name="tools", cidr="10.0.20.0/24", egress_network_type="cloud"),
    ]
    # app: tcp -> an EIP named after the service, declared with it.
    assert plan["eips"] == [
        dict(organization="shalb", project="prod", eips=[dict(name="jump", external_network_type="public"), dict(name="postgres")]),
        dict(organization="shalb", project="tools", eips=[]),
    ]
    assert plan["fips"] == [
        dict(organization="shalb", project="prod", fips=[dict(name="jump", eip="jump", vm_name="jump-host", interface_name="vpc_net_0")]),
        dict(organization="shalb", project="tools", fips=[]),
    ]
    # A binding is named by its Kubernetes Service; no port, protocol or backends on kube_dc.
    assert plan["bindings"] == [
        dict(organization="shalb", project="prod", bindings=[
            dict(name="shop-frontend", expose_route="https", hostname="shop.example.com", route_port=8080),
            dict(name="postgres", eip="postgres")]),
        dict(organization="shalb", project="tools", bindings=[
            dict(name="git", eip="default-gw"), dict(name="registry", eip="default-gw")]),
    ]
    assert plan["counts"] == dict(organizations=1, projects=2, eips=2, fips=1, bindings=4)


def test_the_kubernetes_options_go_to_the_modules_that_take_them_on_the_platform():
    connection = dict(kubeconfig="/kube", context="c", validate_certs=False, ovn_nb_connection="tcp:10.0.0.1:6641")
    kube = dict(kubeconfig="/kube", context="c", validate_certs=False)
    file = kube_dc_example()
    file["connection"] = dict(connection)
    plan = datacenter.plan(file)
    # On kube_dc all four platform modules talk to Kubernetes; the NB options stay for verify_ovn.
    assert plan["module_defaults"] == dict(project_network=kube, eip=kube, fip=kube, lb_binding=kube)
    assert plan["kubernetes"] == kube and plan["connection"] == dict(ovn_nb_connection="tcp:10.0.0.1:6641")
    file = example()
    file["connection"] = dict(connection)
    # On ovn only fip and lb_binding do (pod, VM and Service targets), as before.
    assert datacenter.plan(file)["module_defaults"] == dict(project_network={}, eip={}, fip=kube, lb_binding=kube)


def test_the_module_defaults_do_not_share_one_dict():
    file = kube_dc_example()
    file["connection"] = dict(kubeconfig="/kube")
    defaults = datacenter.plan(file)["module_defaults"]
    defaults["eip"]["context"] = "x"
    assert defaults["fip"] == dict(kubeconfig="/kube")


P0 = "organizations[0].projects[0]"
P1 = "organizations[0].projects[1]"
OVN_ONLY = "applies to platform ovn only"


def _add_service(index=0, **service):
    return lambda f: shalb(f, index)["services"].append(service)


@pytest.mark.parametrize(
    "edit,expected",
    [
        (lambda f: f.update(external_networks=[dict(name="ext-cloud", network_type="cloud", cidr="100.65.0.0/16")]),
         ["external_networks: ['ext-cloud'] must be empty on platform kube_dc: its external networks are Kube-OVN's, "
          "set up by the platform's admin"]),
        (lambda f: shalb(f).update(default_gateway_ip="100.65.0.5"),
         [P0 + ".default_gateway_ip (shalb-prod): '100.65.0.5' " + OVN_ONLY + ": on kube_dc the project's default-gateway"]),
        (lambda f: shalb(f, 1).update(external_network="ext-cloud"),
         [P1 + ".external_network (shalb-tools): 'ext-cloud' " + OVN_ONLY + ": on kube_dc egress_network_type picks"]),
        (lambda f: shalb(f)["eips"][0].update(address="198.51.100.20"),
         [P0 + ".eips[0].address (jump): '198.51.100.20' " + OVN_ONLY + ": on kube_dc Kube-DC allocates the address"]),
        (lambda f: shalb(f)["fips"].append(dict(name="web", pod_name="web-0")),
         [P0 + ".fips[1].pod_name (web): 'web-0' " + OVN_ONLY + ": a Kube-DC FIp targets an ip_address or a VM interface"]),
        (lambda f: shalb(f)["fips"].append(dict(name="web", pod_name="web-0", ip_address="10.0.10.9")),
         [P0 + ".fips[1].pod_name (web): 'web-0' " + OVN_ONLY,
          P0 + ".fips[1] (web): ['ip_address', 'pod_name'] needs exactly one target: ip_address or vm_name (with interface_name)"]),
        (_add_service(name="ssh", app="ssh", pod_name="bastion-0"),
         [P0 + ".services[2].pod_name (ssh): 'bastion-0' " + OVN_ONLY + ": a Kube-DC FIp targets"]),
        (_add_service(1, name="api", app="tcp", backends=["10.0.20.5:443"], port=443),
         [P1 + ".services[2].backends (api): ['10.0.20.5:443'] " + OVN_ONLY + ": on kube_dc the Kubernetes Service's own endpoints",
          P1 + ".services[2].port (api): 443 " + OVN_ONLY + ": on kube_dc the Kubernetes Service's own ports"]),
        (_add_service(1, name="dns", app="udp", protocol="udp", service_port="dns"),
         [P1 + ".services[2].protocol (dns): 'udp' " + OVN_ONLY + ": on kube_dc the Kubernetes Service's own ports say the protocol",
          P1 + ".services[2].service_port (dns): 'dns' " + OVN_ONLY]),
        # A route exposes the Service's own ports too.
        (_add_service(name="blog", app="web", port=80),
         [P0 + ".services[2].port (blog): 80 " + OVN_ONLY]),
        # The route's options, as lb_binding checks them.
        (_add_service(name="blog", app="web", route="grpc"),
         [P0 + ".services[2].route (blog): 'grpc' is not one of http, https, tls-passthrough"]),
        (_add_service(name="blog", app="web", route_port=0),
         [P0 + ".services[2].route_port (blog): 0 is not a port number from 1 to 65535"]),
        (_add_service(name="blog", app="web", route_port=65536),
         [P0 + ".services[2].route_port (blog): 65536 is not a port number from 1 to 65535"]),
        (_add_service(name="blog", app="web", route_port=True),
         [P0 + ".services[2].route_port (blog): True is not a port number"]),
        (_add_service(name="blog", app="web", route="http", issuer="letsencrypt"),
         [P0 + ".services[2].issuer (blog): 'letsencrypt' goes with route https only"]),
        (_add_service(name="blog", app="web", route="tls-passthrough", tls_secret="blog-tls"),
         [P0 + ".services[2].tls_secret (blog): 'blog-tls' goes with route https only"]),
        (_add_service(name="blog", app="web", issuer="letsencrypt", tls_secret="blog-tls"),
         [P0 + ".services[2].tls_secret (blog): 'blog-tls' and issuer are alternatives"]),
        (_add_service(name="blog", app="web", eip="jump"),
         [P0 + ".services[2].eip (blog): 'jump' goes with a load balancer: a route is served on the shared Envoy gateway's address"]),
        (_add_service(name="blog", app="web", hostname="Blog.Example.com"),
         [P0 + ".services[2].hostname (blog): 'Blog.Example.com' is not a DNS name"]),
        (_add_service(name="blog", app="web", hostname="blog..example.com"),
         [P0 + ".services[2].hostname (blog): 'blog..example.com' is not a DNS name"]),
        (_add_service(name="blog", app="web", service="Blog"),
         [P0 + ".services[2].service (blog): 'Blog' is not a lower-case RFC 1123 label"]),
        # The route's options on a service that is not a route.
        (_add_service(1, name="api", app="tcp", hostname="api.example.com", route="https"),
         [P1 + ".services[2].route (api): 'https' goes with expose route (app web): it is an option of the gateway route, "
          "and this service is exposed by load_balancer",
          P1 + ".services[2].hostname (api): 'api.example.com' goes with expose route"]),
        (_add_service(name="ssh", app="ssh", ip_address="10.0.10.7", route_port=22),
         [P0 + ".services[2].route_port (ssh): 22 goes with expose route (app web): it is an option of the gateway route, "
          "and this service is exposed by fip"]),
        # One Service, one binding: its annotations say one way.
        (_add_service(name="shop-lb", app="tcp", service="shop-frontend"),
         [P0 + ".services[2].service (shop-lb): 'shop-frontend' is the Kubernetes Service of " + P0 + ".services[0] too; "
          "on kube_dc a binding is the Service's annotations, so each Service may be exposed once"]),
        (_add_service(1, name="web", app="web", service="git"),
         [P1 + ".services[2].service (web): 'git' is the Kubernetes Service of " + P1 + ".services[0] too"]),
        (lambda f: shalb(f, 1)["services"].__setitem__(1, dict(name="git", app="web")),
         [P1 + ".services[1].name: 'git' is the name of " + P1 + ".services[0] too"]),
        # A FIP holds its EIP alone.
        (lambda f: shalb(f)["fips"].append(dict(name="jump2", vm_name="jump-2", eip="jump")),
         [P0 + ".fips[1].eip (jump2): 'jump' is the EIP of the FIP " + P0 + ".fips[0] too; on kube_dc a FIP holds its EIP alone"]),
        (_add_service(name="jump-lb", app="tcp", eip="jump"),
         [P0 + ".services[2].eip (jump-lb): 'jump' is held by the FIP " + P0 + ".fips[0]; on kube_dc a FIP holds its EIP alone "
          "(EIp ownershipType Exclusive), so no Service can be bound to it"]),
        (lambda f: shalb(f)["fips"].append(dict(name="db", ip_address="10.0.10.5", eip="postgres")),
         [P0 + ".services[1].eip (postgres): 'postgres' is held by the FIP " + P0 + ".fips[1]"]),
        # The file's other checks still apply, with the service's own path for a FIP's EIP.
        (_add_service(1, name="ssh", app="ssh", vm_name="vm", eip="nope"),
         [P1 + ".services[2].eip (ssh): 'nope' is not an EIP of the project's eips"]),
        (lambda f: shalb(f)["eips"].append(dict(name="default-gw")),
         [P0 + ".eips[1].name: 'default-gw' is the project's own default-gateway EIP"]),
    ],
)
def test_every_kube_dc_problem_is_named_by_its_path(edit, expected):
    found = kube_dc_problems(edit)
    for message in expected:
        assert any(p.startswith(message) for p in found), (message, found)
    assert len(found) == len(expected), found


def test_a_gateway_route_is_still_refused_on_ovn():
    def route(file):
        prod(file)["services"].append(dict(name="blog", app="web", hostname="blog.example.com"))
    assert problems(route) == ["organizations[0].projects[0].services[2].expose (blog): 'route' needs platform kube_dc: "
                               "a gateway route is Kube-DC's Envoy gateway"]


def test_ovn_keys_are_still_taken_on_ovn():
    file = example()
    prod(file)["default_gateway_ip"] = "100.65.0.100"
    prod(file)["eips"][0]["address"] = "100.65.0.101"
    prod(file)["fips"].append(dict(name="pod", pod_name="web-0"))
    plan = datacenter.plan(file)
    assert plan["projects"][0]["default_gateway_ip"] == "100.65.0.100"
    assert plan["eips"][0]["eips"][0] == dict(name="db", address="100.65.0.101")
    assert plan["fips"][0]["fips"][1] == dict(name="pod", pod_name="web-0")


@pytest.mark.parametrize(
    "service,binding",
    [
        # https by default, on the Service named after the service.
        (dict(name="blog", app="web"), dict(name="blog", expose_route="https")),
        (dict(name="blog", expose="route", route="http", route_port=8080, service="blog-svc"),
         dict(name="blog-svc", expose_route="http", route_port=8080)),
        (dict(name="blog", app="web", route="tls-passthrough", hostname="blog.example.com."),
         dict(name="blog", expose_route="tls-passthrough", hostname="blog.example.com.")),
        (dict(name="blog", app="web", route="https", issuer="letsencrypt-staging", hostname="blog.example.com"),
         dict(name="blog", expose_route="https", issuer="letsencrypt-staging", hostname="blog.example.com")),
        (dict(name="blog", app="web", tls_secret="blog-tls"), dict(name="blog", expose_route="https", tls_secret="blog-tls")),
        # A load balancer on a named EIP (declared implicitly, named after the service entry), or on default-gw.
        (dict(name="game", app="udp", service="game-server"), dict(name="game-server", eip="game")),
        (dict(name="dns", expose="load_balancer", eip="default-gw"), dict(name="dns", eip="default-gw")),
    ],
)
def test_kube_dc_bindings(service, binding):
    file = kube_dc_example()
    shalb(file, 1)["services"] = [service]
    plan = datacenter.plan(file)
    assert plan["bindings"][1]["bindings"] == [binding]
    implicit = [] if "expose_route" in binding or binding["eip"] == "default-gw" else [dict(name=binding["eip"])]
    assert plan["eips"][1]["eips"] == implicit


def _kube_dc_diff(kind, before, after, **extra):
    return dict(changed=before != after, diff=dict(before={kind: before}, after={kind: after}), **extra)


def _project(name):
    return dict(organization="shalb", name=name, namespace="shalb-" + name, cidr="10.0.10.0/24", egress_network_type="cloud")


def _object(project, name, **fields):
    return dict(dict(organization="shalb", project=project, namespace="shalb-" + project, name=name), **fields)


def test_plannable_and_summary_read_kube_dc_diffs():
    plan = datacenter.plan(kube_dc_example())
    # Check mode: shalb-prod exists, shalb-tools would be created (so nothing in it can be planned).
    projects = _kube_dc_diff("projects", [_project("prod")], [_project("prod"), _project("tools")])
    plannable = datacenter.plannable(plan, projects=projects)
    assert plannable["deferred"] == ["shalb-tools"]
    assert [e["project"] for e in plannable["eips"]] == [e["project"] for e in plannable["bindings"]] == ["prod"]
    results = dict(
        project=projects,
        eip=[_kube_dc_diff("eips", [_object("prod", "jump", address="198.51.100.20")],
                           [_object("prod", "jump", address="198.51.100.20"), _object("prod", "postgres")]),
             dict(skipped=True)],
        fip=_kube_dc_diff("fips", [_object("prod", "jump", vm_name="old-host"), _object("prod", "stale")],
                          [_object("prod", "jump", vm_name="jump-host")]),
        binding=_kube_dc_diff("bindings", [_object("prod", "shop-frontend", expose_route="https")],
                              [_object("prod", "shop-frontend", expose_route="https"), _object("prod", "postgres", eip="postgres")]),
    )
    summary = datacenter.summary(plannable, results)
    assert summary["lines"] == [
        "shalb-prod:",
        "  remove fip stale", "  create binding postgres", "  create eip postgres", "  change fip jump",
        "shalb-tools:",
        "  create project network", "  create binding git", "  create binding registry",
        "5 to create, 1 to change, 1 to remove.",
    ]
    assert summary["projects"]["shalb-prod"] == dict(removed=["fip stale"], created=["binding postgres", "eip postgres"],
                                                     changed=["fip jump"])


def test_verify_on_ovn_compares_the_gathered_networks_as_before():
    plan = datacenter.plan(example())
    network = dict(namespace="acme-prod", exists=True, eips=[dict(name="db"), dict(name="shop"), dict(name="old")],
                   fips=[dict(name="admin"), dict(name="bastion")], lb_bindings=[],
                   drift=[dict(declaration="fip acme-prod/admin", commands=["update NAT"])])
    networks = dict(results=[dict(network=network), dict(network=dict(namespace="acme-web", exists=False))])
    assert datacenter.verify(plan, networks) == [
        "acme-prod: EIP old exists and the file does not name it",
        "acme-prod: binding shop is declared and missing",
        "acme-prod: fip acme-prod/admin drifted: update NAT",
        "acme-web: the project network does not exist",
    ]


def test_verify_on_kube_dc_reads_the_check_runs():
    plan = datacenter.plan(kube_dc_example())
    projects = _kube_dc_diff("projects", [_project("prod")], [_project("prod"), _project("tools")])
    checked = datacenter.plannable(plan, projects=projects)
    checks = dict(
        project=projects,
        eip=_kube_dc_diff("eips", [_object("prod", "jump"), _object("prod", "postgres"), _object("prod", "old")],
                          [_object("prod", "jump"), _object("prod", "postgres")]),
        fip=dict(failed=True, msg="projects[0].fips[0] (jump): vm_name: jump-host is not a VirtualMachine"),
        binding=_kube_dc_diff("bindings", [_object("prod", "shop-frontend", hostname="old.example.com")],
                              [_object("prod", "shop-frontend", hostname="shop.example.com"), _object("prod", "postgres")]),
    )
    # network_info and network_trace were skipped on kube_dc.
    skipped = dict(skipped=True, results=[dict(skipped=True), dict(skipped=True)])
    assert datacenter.verify(checked, skipped, skipped, checks=checks) == [
        "fip: the check run failed: projects[0].fips[0] (jump): vm_name: jump-host is not a VirtualMachine",
        "shalb-prod: EIP old exists and the file does not name it",
        "shalb-prod: binding postgres is declared and missing",
        "shalb-prod: binding shop-frontend differs from the file",
        # One difference for a project that does not exist, as on ovn.
        "shalb-tools: the project network does not exist",
    ]


def test_verify_on_kube_dc_with_nothing_to_change_is_empty():
    plan = datacenter.plan(kube_dc_example())
    projects = _kube_dc_diff("projects", [_project("prod"), _project("tools")], [_project("prod"), _project("tools")])
    checked = datacenter.plannable(plan, projects=projects)
    assert checked["deferred"] == []
    same = [_object("prod", "jump")]
    checks = dict(project=projects, eip=_kube_dc_diff("eips", same, same), fip=_kube_dc_diff("fips", same, same),
                  binding=_kube_dc_diff("bindings", [], []))
    assert datacenter.verify(checked, {}, None, checks=checks) == []
    # A changed project (its gateway, say) is a difference; so is a run that changed without a diff.
    moved = _kube_dc_diff("projects", [_project("prod"), _project("tools")], [dict(_project("prod"), gateway="10.0.10.254"),
                                                                              _project("tools")])
    assert datacenter.verify(checked, {}, checks=dict(checks, project=moved, fip=dict(changed=True, commands=["a", "b"]))) == [
        "shalb-prod: the project network differs from the file",
        "fip: the check run would make 2 change(s); run it with diff to see them object by object",
    ]


def test_plannable_defers_the_fips_and_bindings_on_an_eip_still_to_be_created():
    plan = datacenter.plan(kube_dc_example())
    projects = _kube_dc_diff("projects", [_project("prod"), _project("tools")], [_project("prod"), _project("tools")])
    first = datacenter.plannable(plan, projects=projects)
    # The check run of the EIP task would create postgres (the tcp service's) and jump (the FIP's).
    eips = _kube_dc_diff("eips", [], [_object("prod", "jump"), _object("prod", "postgres")])
    second = datacenter.plannable(first, eips=eips)
    assert second["deferred"] == [] and second["deferred_objects"] == [
        ["shalb-prod", "binding", "postgres"], ["shalb-prod", "fip", "jump"]]
    assert second["fips"][0]["fips"] == [] and second["bindings"][0]["bindings"] == [
        dict(name="shop-frontend", expose_route="https", hostname="shop.example.com", route_port=8080)]
    assert second["bindings"][1] == plan["bindings"][1] and second["declared_bindings"] == plan["bindings"]
    # ... and named as the projects form takes them, for the check-mode tasks that ask which exist.
    assert second["deferred_fips"] == [dict(organization="shalb", project="prod", fips=[dict(name="jump")])]
    assert second["deferred_bindings"] == [dict(organization="shalb", project="prod", bindings=[dict(name="postgres")])]
    assert first["deferred_fips"] == first["deferred_bindings"] == []
    # The EIP pruning task of service_exposure plans the same creations again: counted once.
    # The deferred FIP existed on another EIP and the exclusive run prunes it: a change, not a removal.
    results = dict(
        project=projects,
        eip=[eips, _kube_dc_diff("eips", [], [_object("prod", "jump"), _object("prod", "postgres")])],
        fip=_kube_dc_diff("fips", [_object("prod", "jump", eip="old")], []),
        binding=_kube_dc_diff("bindings", [], [_object("prod", "shop-frontend"), _object("prod", "zz")]),
    )
    assert datacenter.summary(second, results)["lines"] == [
        "shalb-prod:",
        "  create binding postgres", "  create binding shop-frontend", "  create binding zz", "  create eip jump",
        "  create eip postgres", "  change fip jump",
        "5 to create, 1 to change, 0 to remove.",
    ]
    # Without exclusive nothing is pruned: the state absent probe on deferred_fips says jump exists.
    probed = dict(results, fip=[_kube_dc_diff("fips", [_object("prod", "jump", eip="old")], []), _kube_dc_diff("fips", [], [])])
    assert datacenter.summary(second, probed)["lines"][-2:] == ["  change fip jump", "5 to create, 1 to change, 0 to remove."]
    # A later call keeps them out, and without results nothing more is left out.
    assert datacenter.plannable(second)["deferred_objects"] == second["deferred_objects"]
    assert datacenter.plannable(second)["fips"][0]["fips"] == []
    assert datacenter.plannable(plan)["deferred_objects"] == []
    # In verify: the deferred objects are declared and missing.
    checks = dict(project=projects, eip=eips, fip=_kube_dc_diff("fips", [], []), binding=_kube_dc_diff("bindings", [], []))
    assert datacenter.verify(second, {}, checks=checks) == [
        "shalb-prod: binding postgres is declared and missing",
        "shalb-prod: EIP jump is declared and missing",
        "shalb-prod: EIP postgres is declared and missing",
        "shalb-prod: FIP jump is declared and missing",
    ]


def _made(*namespaces):
    found = []
    for namespace in namespaces:
        organization, name = namespace.split("-", 1)
        found.append(dict(organization=organization, name=name, namespace=namespace, cidr="10.0.0.0/24"))
    return dict(changed=False, project_networks=found)


def test_dropped_adds_the_projects_the_file_no_longer_names_for_removal():
    plan = datacenter.plan(example())
    untouched = copy.deepcopy(plan)
    made = _made("acme-prod", "acme-web", "acme-old", "initech-lab")
    out = datacenter.dropped(plan, made)
    assert out["dropped"] == [dict(organization="acme", name="old"), dict(organization="initech", name="lab")]
    for kind in ("eips", "fips", "bindings"):
        assert out[kind][:len(plan[kind])] == plan[kind]
        assert out[kind][len(plan[kind]):] == [{"organization": "acme", "project": "old", kind: []},
                                               {"organization": "initech", "project": "lab", kind: []}]
    assert plan == untouched, "the plan itself changed"
    # A project check mode left out, to be created, is named by the file.
    deferred = dict(plan, projects=[p for p in plan["projects"] if p["name"] != "web"], deferred=["acme-web"])
    assert datacenter.dropped(deferred, _made("acme-web"))["dropped"] == []
    assert datacenter.dropped(plan, _made("acme-prod", "acme-web"))["dropped"] == []


def test_summary_and_verify_name_the_dropped_projects():
    plan = datacenter.dropped(datacenter.plan(example()), _made("acme-prod", "acme-web", "acme-old"))
    old = dict(namespace="acme-old", organization="acme", project="old")
    # The check run of the FIP task prunes the old project's FIP; the project task does not run.
    results = dict(fip=_result("fips", [dict(old, name="vpn")], []), project=[dict(skipped=True)])
    assert datacenter.summary(plan, results)["lines"] == [
        "acme-old:", "  remove fip vpn", "  remove project network", "0 to create, 0 to change, 2 to remove.",
    ]
    # A real run's project result names it too: it is counted once.
    removed = _result("projects", [dict(namespace="acme-old", organization="acme", name="old")], [])
    assert datacenter.summary(plan, dict(project=removed))["totals"] == dict(created=0, changed=0, removed=1)
    gathered = [dict(network=dict(namespace=ns, exists=True, eips=[dict(name=n) for n in eips], fips=[dict(name=n) for n in fips],
                                  lb_bindings=[dict(name=n) for n in bindings]))
                for ns, eips, fips, bindings in (("acme-prod", ["db", "shop"], ["admin", "bastion"], ["shop"]),
                                                 ("acme-web", [], [], ["http", "metrics"]))]
    assert datacenter.verify(datacenter.plan(example()), gathered, made=_made("acme-prod", "acme-web", "acme-old")) == [
        "acme-old: the project network exists and the file does not name it",
    ]
    assert datacenter.verify(datacenter.plan(example()), gathered, made=_made("acme-prod", "acme-web")) == []
