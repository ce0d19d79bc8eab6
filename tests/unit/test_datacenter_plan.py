# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The datacenter file's planning: checks, the decision tree, the one-record summary, verify's reading."""

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.kubedc.network.plugins.module_utils.datacenter import file as dc_file
from ansible_collections.kubedc.network.plugins.module_utils.datacenter import report
from ansible_collections.kubedc.network.plugins.module_utils.datacenter import spec as dc_spec
from ansible_collections.kubedc.network.plugins.plugin_utils import datacenter

REPO = Path(__file__).resolve().parents[2]
ROLES = ("project_bootstrap", "service_exposure", "project_teardown")


def example():
    return yaml.safe_load((REPO / "examples" / "datacenter.yml").read_text())["kubedc_datacenter"]


def problems(edit):
    file = example()
    edit(file)
    with pytest.raises(dc_file.DatacenterError) as caught:
        dc_file.plan(file)
    return caught.value.problems


def prod(file):
    return file["organizations"][0]["projects"][0]


def test_the_example_becomes_one_entry_per_project_and_kind():
    plan = dc_file.plan(example())
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


def test_each_object_is_placed_where_the_file_has_it_a_service_s_at_the_service():
    # What the resources refuse later is reported at these paths, so each must be a key the
    # user wrote: the FIP of an ssh service at the service, an EIP a service names at its eip.
    file = example()
    prod(file)["services"].append(dict(name="api", app="tcp", eip="api-ip", port=8443, backends=["10.0.0.22:8443"]))
    plan = dc_file.plan(file)
    assert plan["item_paths"] == {
        "acme-prod": dict(eips=["eips[0]", "services[1]", "services[2].eip"],
                          fips=["fips[0]", "services[0]"],
                          bindings=["services[1]", "services[2]"]),
        "acme-web": dict(eips=[], fips=[], bindings=["services[0]", "services[1]"]),
    }
    for kind in ("eips", "fips", "bindings"):
        for entry in plan[kind]:
            paths = plan["item_paths"]["{0}-{1}".format(entry["organization"], entry["project"])][kind]
            assert len(paths) == len(entry[kind])


def test_a_name_repeated_across_fips_and_services_is_reported_where_each_is():
    found = problems(lambda file: prod(file)["fips"][0].update(name="bastion"))
    assert found == ["organizations[0].projects[0].services[0].name: 'bastion' is the name of "
                     "organizations[0].projects[0].fips[0] too; each FIP of the project (services exposed by FIP included) "
                     "may appear once"]


def test_a_bad_eip_name_on_a_service_is_reported_at_the_service_s_eip():
    found = problems(lambda file: prod(file)["services"][1].update(eip="Shop_IP"))
    assert found == ["organizations[0].projects[0].services[1].eip (shop): 'Shop_IP' is not a lower-case RFC 1123 label "
                     "(a-z, 0-9 and '-', at most 63)"]


def test_connection_options_are_split_by_who_takes_them():
    file = example()
    file["connection"] = dict(ovn_nb_connection="ssl:10.0.0.1:6641", ovn_nb_ca_cert="/ca.pem", kubeconfig="/kube", context="c",
                              ovn_sb_connection="ssl:10.0.0.1:6642")
    plan = dc_file.plan(file)
    assert plan["connection"] == dict(ovn_nb_connection="ssl:10.0.0.1:6641", ovn_nb_ca_cert="/ca.pem")
    assert plan["kubernetes"] == dict(kubeconfig="/kube", context="c")
    assert plan["southbound"] == dict(ovn_sb_connection="ssl:10.0.0.1:6642")


def test_udp_and_an_explicit_eip():
    file = example()
    prod(file)["services"] = [dict(name="game", app="udp", port=7777, backends=["10.0.0.30:7777"], eip="db")]
    plan = dc_file.plan(file)
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
         ["organizations[0].projects[0].services[2].name: 'admin' is the name of organizations[0].projects[0].fips[0] too; "
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
    with pytest.raises(dc_file.DatacenterError) as caught:
        dc_file.plan(_edited(two))
    text = str(caught.value)
    assert text.startswith("the datacenter file has 2 problem(s), nothing was changed:\n")
    assert "organizations[0].projects[1].fips[0].ip_address (x): '10.0.1.1' is outside the project's cidr 10.0.0.0/24" in text


def _edited(edit):
    file = example()
    edit(file)
    return file


def _shape(options):
    """An argument spec without its words: what a file must look like to be accepted."""
    shape = {}
    for key, option in options.items():
        entry = dict((k, option[k]) for k in ("type", "elements", "choices", "required", "default") if k in option)
        entry.setdefault("type", "str")
        if entry.get("required") is False:
            del entry["required"]
        if "options" in option:
            entry["options"] = _shape(option["options"])
        shape[key] = entry
    return shape


def test_the_three_roles_and_the_module_take_the_same_file():
    specs = [yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text()) for role in ROLES]
    shapes = [_shape(spec["argument_specs"]["main"]["options"])["kubedc_datacenter"]["options"] for spec in specs]
    assert shapes[0] == shapes[1] == shapes[2]
    # The roles pass the file to the datacenter module as it is: the module must accept what they accept.
    assert shapes[0] == _shape(dc_spec.DATACENTER)
    # Every key the planner reads is in the shape, so a file the roles accept is a file it plans.
    project = shapes[0]["organizations"]["options"]["projects"]["options"]
    assert set(dc_file.TARGET_KEYS) <= set(project["fips"]["options"])
    assert set(project["services"]["options"]["app"]["choices"]) == set(dc_file.DECISION_TREE)
    assert set(project["services"]["options"]["expose"]["choices"]) == set(dc_file.EXPOSURES)
    assert set(shapes[0]["connection"]["options"]) == set(dc_file.NB_KEYS + dc_file.SB_KEYS + dc_file.KUBE_KEYS)
    services = project["services"]["options"]
    assert set(dc_file.ROUTE_KEYS) | {"route", "service"} <= set(services)
    assert services["route"]["choices"] == list(dc_file.ROUTE_TYPES)
    assert shapes[0]["platform"]["choices"] == list(dc_file.PLATFORMS)
    described = yaml.safe_load((REPO / "roles" / ROLES[0] / "meta" / "argument_specs.yml").read_text())
    project_words = described["argument_specs"]["main"]["options"]["kubedc_datacenter"]["options"]["organizations"]["options"][
        "projects"]["options"]
    for key, options in (("default_gateway_ip", project_words), ("external_network", project_words),
                         ("address", project_words["eips"]["options"]), ("pod_name", project_words["fips"]["options"]),
                         ("backends", project_words["services"]["options"]), ("port", project_words["services"]["options"])):
        assert "(platform ovn)" in options[key]["description"], key


def test_a_changed_shape_is_caught():
    # The comparison above must be able to fail: a choice the module lacks is a difference.
    broken = copy.deepcopy(dc_spec.DATACENTER)
    broken["platform"]["choices"] = ["ovn"]
    assert _shape(broken) != _shape(dc_spec.DATACENTER)


# -- platform kube_dc -------------------------------------------------------------------------

def kube_dc_example():
    return yaml.safe_load((REPO / "examples" / "datacenter-kube-dc.yml").read_text())["kubedc_datacenter"]


def kube_dc_problems(edit):
    file = kube_dc_example()
    edit(file)
    with pytest.raises(dc_file.DatacenterError) as caught:
        dc_file.plan(file)
    return caught.value.problems


def shalb(file, index=0):
    return file["organizations"][0]["projects"][index]


def test_the_kube_dc_example_becomes_the_kube_dc_modules_arguments():
    plan = dc_file.plan(kube_dc_example())
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
    plan = dc_file.plan(file)
    # On kube_dc all four platform modules talk to Kubernetes; the NB options stay for verify_ovn.
    assert plan["module_defaults"] == dict(project_network=kube, eip=kube, fip=kube, lb_binding=kube)
    assert plan["kubernetes"] == kube and plan["connection"] == dict(ovn_nb_connection="tcp:10.0.0.1:6641")
    file = example()
    file["connection"] = dict(connection)
    # On ovn only fip and lb_binding do (pod, VM and Service targets), as before.
    assert dc_file.plan(file)["module_defaults"] == dict(project_network={}, eip={}, fip=kube, lb_binding=kube)


def test_the_module_defaults_do_not_share_one_dict():
    file = kube_dc_example()
    file["connection"] = dict(kubeconfig="/kube")
    defaults = dc_file.plan(file)["module_defaults"]
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
    plan = dc_file.plan(file)
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
    plan = dc_file.plan(file)
    assert plan["bindings"][1]["bindings"] == [binding]
    implicit = [] if "expose_route" in binding or binding["eip"] == "default-gw" else [dict(name=binding["eip"])]
    assert plan["eips"][1]["eips"] == implicit


# -- the summary: one record per object, whatever the number of kinds that looked at it ---------


def test_the_ledger_counts_objects_and_puts_removals_first():
    ledger = report.Ledger()
    ledger.record(report.NETWORKS, "external network", "ext-cloud", None, dict(cidr="192.0.2.0/24"))
    ledger.record("acme-prod", "project network", None, None, dict(cidr="10.0.0.0/24"))
    ledger.record("acme-prod", "eip", "db", None, dict(address="192.0.2.10"))
    # A later kind sees the same EIP (a binding on it): still one object, its last view wins.
    ledger.record("acme-prod", "eip", "db", dict(address="ignored"), dict(address="192.0.2.10"))
    ledger.record("acme-prod", "fip", "old", dict(ip_address="10.0.0.9"), None)
    ledger.record("acme-prod", "binding", "stale", dict(port=80), None)
    ledger.record("acme-prod", "fip", "admin", dict(ip_address="10.0.0.1"), dict(ip_address="10.0.0.2"))
    ledger.record("acme-prod", "fip", "same", dict(ip_address="10.0.0.3"), dict(ip_address="10.0.0.3"))
    ledger.record("acme-web", "binding", "http", None, dict(port=80), waiting_for="acme-web")
    planned = ledger.summary(check_mode=True)
    assert planned["lines"] == [
        "external networks:", "  create external network ext-cloud",
        "acme-prod:", "  remove binding stale", "  remove fip old", "  create project network", "  create eip db",
        "  change fip admin",
        "acme-web:", "  create binding http (waiting for acme-web)",
        "4 to create, 1 to change, 2 to remove.",
    ]
    assert planned["projects"]["acme-prod"] == dict(created=["project network", "eip db"], changed=["fip admin"],
                                                    removed=["binding stale", "fip old"])
    done = ledger.summary(check_mode=False)
    assert done["lines"][-1] == "4 created, 1 changed, 2 removed." and done["totals"] == planned["totals"]
    assert [d["before_header"] for d in ledger.diffs()][:3] == [
        "external networks: external network ext-cloud", "acme-prod: binding stale", "acme-prod: fip old"]


def test_a_row_repaired_in_place_is_a_change():
    ledger = report.Ledger()
    ledger.record("acme-prod", "fip", "admin", dict(ip_address="10.0.0.1"), dict(ip_address="10.0.0.1"))
    assert ledger.changes() == []
    ledger.touched("acme-prod", "fip", "admin")
    assert [(c["kind"], c["name"], c["action"]) for c in ledger.changes()] == [("fip", "admin", "change")]


# -- verify.yml: the check run and the traces, one line per difference -----------------------


def _change(project, kind, name, action, before=None, after=None):
    return dict(project=project, kind=kind, name=name, action=action, before=before or {}, after=after or {})


def test_verify_reads_the_check_run_one_line_per_difference():
    check = dict(changed=True, changes=[
        _change(None, "external network", "ext-public", "create"),
        _change("acme-prod", "eip", "old", "remove"),
        _change("acme-prod", "fip", "admin", "change", dict(ip_address="10.0.0.12"), dict(ip_address="10.0.0.13")),
        # A missing project is one difference, not one per object in it.
        _change("acme-web", "project network", None, "create"),
        _change("acme-web", "binding", "http", "create"),
    ])
    assert datacenter.verify(check) == [
        "external networks: external network ext-public is declared and missing",
        "acme-prod: EIP old exists and the file does not name it",
        "acme-prod: FIP admin differs from the file: ip_address: 10.0.0.12 -> 10.0.0.13",
        "acme-web: the project network does not exist",
    ]
    assert datacenter.verify(dict(changed=False, changes=[])) == []


def test_verify_names_a_refused_check_and_failed_traces():
    refused = dict(failed=True, msg="the datacenter file has 1 problem(s)")
    traces = dict(results=[
        dict(network_trace=dict(namespace="acme-prod", failures=["fip admin: the packet was dropped"], unproven=[])),
        dict(failed=True, msg="no such router", item=dict(organization="acme", name="web")),
        dict(skipped=True),
    ])
    assert datacenter.verify(refused, traces) == [
        "datacenter: the check run was refused: the datacenter file has 1 problem(s)",
        "acme-prod: ovn-trace: fip admin: the packet was dropped",
        "acme-web: the ovn-trace proof failed: no such router",
    ]


def test_unproven_is_not_a_failure_and_is_named():
    traces = dict(results=[
        dict(network_trace=dict(namespace="acme-prod", failures=[], unproven=["fip bastion: no workload holds 10.0.0.11"])),
        dict(network_trace=dict(namespace="acme-web", failures=[], unproven=[])),
    ])
    assert datacenter.verify(dict(changes=[]), traces) == []
    assert datacenter.unproven(traces) == ["acme-prod: fip bastion: no workload holds 10.0.0.11"]
