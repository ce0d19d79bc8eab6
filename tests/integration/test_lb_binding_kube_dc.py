# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lb_binding with platform kube_dc: the service.nlb.kube-dc.com/ annotations of a LoadBalancer Service.

Most tests need no controller: the EIps' status and the Services' ingress IP are written by the
test (status subresources), so what the module writes, refuses and waits for is checked against
the ``kube`` fixture alone. The last test runs the Kube-DC test controller (``kube_dc``) end to end.
"""

import json
import threading
import time

import pytest

from support import ModuleFailed, run_module

NAMESPACE = "acme-prod"
PREFIX = "service.nlb.kube-dc.com/"
ON_EIP = PREFIX + "bind-on-eip"
ON_GW = PREFIX + "bind-on-default-gw-eip"
ROUTE = PREFIX + "expose-route"
ROUTE_STATUS = PREFIX + "route-hostname-status"
# The module marks the Services it binds, so that exclusive prunes those only.
MARK = "kubedc.network/managed-by"
MARKED = {MARK: "kubedc.network"}
BASE = dict(platform="kube_dc", organization="acme", project="prod", service="web", wait=False)
WEB_IP = "100.65.0.50"
GW_IP = "100.65.0.2"


class Project(object):
    """The project namespace, its Services and EIps, written the way the controller would."""

    def __init__(self, kube):
        from kubernetes import client

        api_client = kube.api_client()
        self.core = client.CoreV1Api(api_client)
        self.custom = client.CustomObjectsApi(api_client)
        self.kubeconfig = kube.kubeconfig

    def args(self, **override):
        return dict(BASE, kubeconfig=self.kubeconfig, **override)

    def service(self, name, ports=(("https", 443, "TCP"),), kind="LoadBalancer", annotations=None):
        body = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "annotations": dict(annotations or {})},
            "spec": {"type": kind, "ports": [dict(name=n, port=p, targetPort=p, protocol=proto) for n, p, proto in ports]},
        }
        self.core.create_namespaced_service(NAMESPACE, body)

    def eip(self, name, address, ownership="Shared", owners=()):
        body = {"apiVersion": "kube-dc.com/v1", "kind": "EIp", "metadata": {"name": name}, "spec": {}}
        self.custom.create_namespaced_custom_object("kube-dc.com", "v1", NAMESPACE, "eips", body)
        status = {"ipAddress": address, "ready": True, "ovnEIpRef": "eip-%s-%s" % (NAMESPACE, name),
                  "ownershipType": ownership, "owners": [dict(type=t, ownerRef=r) for t, r in owners]}
        self.custom.patch_namespaced_custom_object_status("kube-dc.com", "v1", NAMESPACE, "eips", name, {"status": status})

    def ingress(self, name, address):
        ingress = [{"ip": address}] if address else None
        self.core.patch_namespaced_service_status(name, NAMESPACE, {"status": {"loadBalancer": {"ingress": ingress}}})

    def annotate(self, name, annotations):
        self.core.patch_namespaced_service(name, NAMESPACE, {"metadata": {"annotations": annotations}})

    def annotations(self, name="web"):
        return dict(self.core.read_namespaced_service(name, NAMESPACE).metadata.annotations or {})

    def exists(self, name="web"):
        return any(s.metadata.name == name for s in self.core.list_namespaced_service(NAMESPACE).items)


@pytest.fixture
def prod(kube):
    kube.namespace(NAMESPACE)
    project = Project(kube)
    project.service("web")
    project.eip("web-ip", WEB_IP)
    project.eip("default-gw", GW_IP)
    return project


def patch_of(*fields):
    return ["patch v1 Service acme-prod/web: " + ", ".join(fields)]


def test_check_apply_no_change_and_absent(prod):
    args = prod.args(eip="web-ip")
    planned = run_module("lb_binding", args, check=True)
    assert planned["changed"] is True and planned["commands"] == patch_of(MARK + "=kubedc.network", ON_EIP + "=web-ip")
    assert prod.annotations() == {}, "check mode stored the annotation"

    applied = run_module("lb_binding", args)
    assert applied["commands"] == planned["commands"]
    assert applied["diff"] == dict(before={}, after=dict(MARKED, **{ON_EIP: "web-ip"}))
    assert prod.annotations() == dict(MARKED, **{ON_EIP: "web-ip"})
    view = applied["lb_binding"]
    assert (view["name"], view["namespace"], view["eip"], view["address"]) == ("web", NAMESPACE, "web-ip", None)
    assert view["ports"] == [dict(name="https", port=443, protocol="TCP")] and view["expose_route"] is None

    for check in (True, False):
        again = run_module("lb_binding", args, check=check)
        assert again["changed"] is False and again["commands"] == []

    # The controller's part: the ingress IP is the EIp's address, and the task waits for nothing more.
    prod.ingress("web", WEB_IP)
    waited = run_module("lb_binding", dict(args, wait=True, wait_timeout=5, wait_sleep=0.2))
    assert waited["changed"] is False and waited["lb_binding"]["address"] == WEB_IP

    absent = prod.args(state="absent")
    gone = run_module("lb_binding", absent, check=True)
    assert gone["commands"] == patch_of(MARK + "=(removed)", ON_EIP + "=(removed)") and gone["lb_binding"] == {}
    assert prod.annotations() == dict(MARKED, **{ON_EIP: "web-ip"})
    removed = run_module("lb_binding", dict(absent, wait=True, wait_sleep=0.2))
    assert removed["changed"] is True and removed["commands"] == gone["commands"]
    assert prod.annotations() == {} and prod.exists("web"), "absent must keep the Service"
    again = run_module("lb_binding", absent)
    assert again["changed"] is False and again["commands"] == []


def test_switching_removes_the_old_annotation(prod):
    run_module("lb_binding", prod.args(eip="web-ip"))
    moved = run_module("lb_binding", prod.args(eip="default-gw"))
    assert moved["commands"] == patch_of(ON_GW + "=true", ON_EIP + "=(removed)")
    assert moved["diff"] == dict(before=dict(MARKED, **{ON_EIP: "web-ip"}), after=dict(MARKED, **{ON_GW: "true"}))
    assert prod.annotations() == dict(MARKED, **{ON_GW: "true"})
    assert moved["lb_binding"]["eip"] == "default-gw"
    # eip defaults to default-gw
    assert run_module("lb_binding", prod.args())["changed"] is False

    route = dict(expose_route="https", hostname="web.acme.example.com", route_port=443, issuer="letsencrypt")
    routed = run_module("lb_binding", prod.args(**route))
    assert routed["commands"] == patch_of(
        ON_GW + "=(removed)", ROUTE + "=https", PREFIX + "route-hostname=web.acme.example.com",
        PREFIX + "route-port=443", PREFIX + "tls-issuer=letsencrypt")
    assert prod.annotations() == dict(MARKED, **{ROUTE: "https", PREFIX + "route-hostname": "web.acme.example.com",
                                                 PREFIX + "route-port": "443", PREFIX + "tls-issuer": "letsencrypt"})
    view = routed["lb_binding"]
    assert (view["eip"], view["expose_route"], view["hostname"], view["route_port"], view["issuer"]) == (
        None, "https", "web.acme.example.com", 443, "letsencrypt")
    # A route is ready once Kube-DC has assigned it the declared hostname (route-hostname-status).
    waiting = prod.args(wait=True, wait_timeout=1, wait_sleep=0.2, **route)
    with pytest.raises(ModuleFailed) as failed:
        run_module("lb_binding", waiting)
    assert "Kube-DC has not assigned the route a hostname yet" in failed.value.result["msg"], failed.value.result["msg"]
    prod.annotate("web", {ROUTE_STATUS: "web-acme-prod.apps.example.com"})
    with pytest.raises(ModuleFailed) as failed:
        run_module("lb_binding", waiting)
    assert "the route's assigned hostname is web-acme-prod.apps.example.com, not web.acme.example.com" in \
        failed.value.result["msg"], failed.value.result["msg"]
    prod.annotate("web", {ROUTE_STATUS: "web.acme.example.com"})
    waited = run_module("lb_binding", waiting)
    assert waited["changed"] is False and waited["lb_binding"]["route_hostname"] == "web.acme.example.com"

    back = run_module("lb_binding", prod.args(eip="web-ip"))
    assert back["commands"] == patch_of(
        ON_EIP + "=web-ip", ROUTE + "=(removed)", PREFIX + "route-hostname=(removed)",
        PREFIX + "route-port=(removed)", PREFIX + "tls-issuer=(removed)")
    # The controller's own annotation is not the module's to remove; Kube-DC drops it with the route.
    assert prod.annotations() == dict(MARKED, **{ON_EIP: "web-ip", ROUTE_STATUS: "web.acme.example.com"})


def test_annotations_of_others_are_kept(prod):
    prod.core.patch_namespaced_service("web", NAMESPACE, {"metadata": {"annotations": {"team": "web"}}})
    run_module("lb_binding", prod.args(eip="web-ip"))
    run_module("lb_binding", prod.args(state="absent"))
    assert prod.annotations() == {"team": "web"}


@pytest.mark.parametrize(
    "other,eip,message",
    [
        (dict(annotations={ON_EIP: "web-ip"}), "web-ip",
         "service: Service web port 443/TCP is already bound on EIp web-ip (100.65.0.50) by Service api; "
         "Kube-DC would leave web pending"),
        (dict(annotations={ON_GW: "true"}), "default-gw",
         "service: Service web port 443/TCP is already bound on EIp default-gw (100.65.0.2) by Service api"),
        (dict(annotations={ON_EIP: "default-gw"}), "default-gw",
         "service: Service web port 443/TCP is already bound on EIp default-gw (100.65.0.2) by Service api"),
        (dict(ports=(("x", 8443, "TCP"), ("y", 443, "TCP"))), "web-ip",  # no annotation, but its ingress IP is the EIp's
         "service: Service web port 443/TCP is already bound on EIp web-ip (100.65.0.50) by Service api"),
    ],
)
def test_port_collision_on_the_same_eip_is_refused(prod, other, eip, message):
    prod.service("api", **other)
    if "annotations" not in other:
        prod.ingress("api", WEB_IP)
    for check in (True, False):
        with pytest.raises(ModuleFailed) as failed:
            run_module("lb_binding", prod.args(eip=eip), check=check)
        assert failed.value.result["msg"].startswith(message), failed.value.result["msg"]
        assert failed.value.result["field"] == "service"
    assert prod.annotations() == {}


def test_a_service_holding_its_ports_stays_converged_when_another_comes(prod):
    run_module("lb_binding", prod.args(eip="web-ip"))
    prod.ingress("web", WEB_IP)
    prod.service("api", annotations={ON_EIP: "web-ip"})  # Kube-DC leaves it pending
    assert run_module("lb_binding", prod.args(eip="web-ip"))["changed"] is False
    # api staying on web-ip is refused; moving it to default-gw (free there) is not.
    with pytest.raises(ModuleFailed) as failed:
        run_module("lb_binding", prod.args(service="api", eip="web-ip"))
    assert failed.value.result["msg"].startswith(
        "service: Service api port 443/TCP is already bound on EIp web-ip (100.65.0.50) by Service web")
    assert run_module("lb_binding", prod.args(service="api", eip="default-gw"))["changed"] is True


def test_other_ports_protocols_and_eips_do_not_collide(prod):
    prod.service("dns", ports=(("dns", 443, "UDP"),), annotations={ON_EIP: "web-ip"})
    prod.service("api", annotations={ON_GW: "true"})
    prod.service("internal", kind="ClusterIP", annotations={ON_EIP: "web-ip"})
    assert run_module("lb_binding", prod.args(eip="web-ip"))["changed"] is True


@pytest.mark.parametrize(
    "setup,args,message",
    [
        (lambda p: p.service("plain", kind="ClusterIP"), dict(service="plain"),
         "service: 'plain' is a Service of type ClusterIP in namespace acme-prod: only a Service of type LoadBalancer"),
        (None, dict(service="nowhere"), "service: 'nowhere' is not a Service in namespace acme-prod"),
        (None, dict(eip="nope"), "eip: 'nope' is not an EIp in namespace acme-prod"),
        (lambda p: p.eip("ssh", "100.65.0.60", ownership="Exclusive", owners=[("FIp", "bastion")]), dict(eip="ssh"),
         "eip: 'ssh' is held by a floating IP (EIp ownershipType Exclusive: FIp/bastion): a Service cannot share it"),
        (None, dict(expose_route="https", route_port=8443), "route_port: 8443 is not a port of Service web (it has 443)"),
        (None, dict(port=443), "port: 443 applies to platform ovn only"),
        (None, dict(protocol="udp"), "protocol: 'udp' applies to platform ovn only"),
        (None, dict(backends=["10.0.0.10:80"]), "parameters are mutually exclusive: backends|service"),
        (None, dict(service_port="https"), "service_port: 'https' applies to platform ovn only"),
        (None, dict(bindings=[dict(name="a", port=80, backends=["10.0.0.10:80"])]),
         "parameters are mutually exclusive: bindings|service"),
        (None, dict(service=None, bindings=[dict(name="web", eip="web-ip"), dict(name="web2", port=80)]),
         "bindings[1] (web2): port: 80 applies to platform ovn only"),
        (None, dict(service=None, bindings=[dict(name="web", eip="web-ip"), dict(name="nowhere")]),
         "bindings[1] (nowhere): service: 'nowhere' is not a Service in namespace acme-prod"),
        (None, dict(service=None, bindings=[dict(name="web", service="other")]),
         "bindings[0] (web): name: 'web' must be the Service's name (service: other)"),
        (None, dict(exclusive=True), "exclusive: True applies to the list forms (bindings, projects)"),
        (None, dict(service=None, name="web"), "platform is kube_dc but any of the following are missing: service, bindings, projects"),
        (None, dict(name="other"), "name: 'other' must be the Service's name"),
        (None, dict(eip="web-ip", expose_route="http"), "eip: 'web-ip' and expose_route are alternatives"),
        (None, dict(hostname="web.example.com"), "hostname: 'web.example.com' needs expose_route"),
        (None, dict(expose_route="http", issuer="le"), "issuer: 'le' applies to expose_route=https only"),
        (None, dict(expose_route="https", issuer="le", tls_secret="s"), "issuer: 'le' and tls_secret are alternatives"),
        (None, dict(expose_route="http", hostname="Web_1"), "hostname: 'Web_1' is not a DNS name"),
    ],
)
def test_refused_before_anything_is_written(prod, setup, args, message):
    if setup is not None:
        setup(prod)
    for check in (True, False):
        with pytest.raises(ModuleFailed) as failed:
            run_module("lb_binding", dict((k, v) for k, v in prod.args(**args).items() if v is not None), check=check)
        assert failed.value.result["msg"].startswith(message), failed.value.result["msg"]
    assert prod.annotations() == {}


@pytest.mark.parametrize(
    "args,message",
    [
        (dict(expose_route="http"), "expose_route: 'http' applies to platform kube_dc only"),
        (dict(issuer="le"), "issuer: 'le' applies to platform kube_dc only"),
        (dict(route_port=443), "route_port: 443 applies to platform kube_dc only"),
        (dict(name=None), "name: None is required with platform ovn (or bindings, or projects)"),
    ],
)
def test_kube_dc_options_are_refused_on_ovn(args, message):
    full = dict(organization="acme", project="prod", name="web", port=443, backends=["10.0.0.10:443"],
                ovn_nb_connection="tcp:127.0.0.1:1")
    full.update(args)
    with pytest.raises(ModuleFailed) as failed:
        run_module("lb_binding", full)
    assert failed.value.result["msg"].startswith(message), failed.value.result["msg"]


def test_wait_gives_up_with_what_it_saw(prod):
    with pytest.raises(ModuleFailed) as failed:
        run_module("lb_binding", prod.args(eip="web-ip", wait=True, wait_timeout=1, wait_sleep=0.2))
    assert failed.value.result["msg"] == (
        "gave up waiting 1 seconds for Service web to be ready: status.loadBalancer.ingress is empty; "
        "EIp web-ip has 100.65.0.50")
    assert prod.annotations() == dict(MARKED, **{ON_EIP: "web-ip"}), "the annotation is written before the wait"

    prod.ingress("web", "100.65.0.99")
    with pytest.raises(ModuleFailed) as failed:
        run_module("lb_binding", prod.args(eip="web-ip", wait=True, wait_timeout=1, wait_sleep=0.2))
    assert failed.value.result["msg"].endswith("its ingress IP is 100.65.0.99, not EIp web-ip's address 100.65.0.50")


def test_wait_returns_once_the_ingress_ip_is_the_eips(prod):
    def controller():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if prod.annotations().get(ON_GW) == "true":
                time.sleep(0.3)
                prod.ingress("web", GW_IP)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=controller)
    thread.start()
    try:
        result = run_module("lb_binding", prod.args(eip="default-gw", wait=True, wait_timeout=10, wait_sleep=0.2))
    finally:
        thread.join()
    assert result["changed"] is True and result["lb_binding"]["address"] == GW_IP


# --- end to end, with the Kube-DC test controller -------------------------------------------------


def test_end_to_end_with_the_controller(kube, lab, ext_cloud, kube_dc):
    from kubernetes import client

    kube.require("endpointslice/v1")
    org = kube.namespace("acme")
    assert org == "acme"
    project = run_module("project_network", dict(platform="kube_dc", organization="acme", name="prod",
                                                 cidr="10.0.0.0/24", kubeconfig=kube.kubeconfig,
                                                 wait_timeout=60, wait_sleep=0.2))["project_network"]
    assert project["namespace"] == NAMESPACE
    api_client = kube.api_client()
    custom = client.CustomObjectsApi(api_client)
    core = client.CoreV1Api(api_client)
    discovery = client.DiscoveryV1Api(api_client)
    custom.create_namespaced_custom_object("kube-dc.com", "v1", NAMESPACE, "eips", {
        "apiVersion": "kube-dc.com/v1", "kind": "EIp", "metadata": {"name": "web-ip"},
        "spec": {"externalNetworkType": "cloud"}})
    core.create_namespaced_service(NAMESPACE, {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"type": "LoadBalancer", "ports": [dict(name="https", port=443, targetPort=8443, protocol="TCP")]}})
    discovery.create_namespaced_endpoint_slice(NAMESPACE, {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "web-a", "labels": {"kubernetes.io/service-name": "web",
                                                 "endpointslice.kubernetes.io/managed-by": "kubedc-tests"}},
        "addressType": "IPv4", "ports": [dict(name="https", port=8443, protocol="TCP")],
        "endpoints": [dict(addresses=["10.0.0.10"], conditions=dict(ready=True))]})

    bound = run_module("lb_binding", dict(BASE, kubeconfig=kube.kubeconfig, eip="web-ip", wait=True,
                                          wait_timeout=60, wait_sleep=0.2))["lb_binding"]
    eip = custom.get_namespaced_custom_object("kube-dc.com", "v1", NAMESPACE, "eips", "web-ip")
    address = eip["status"]["ipAddress"]
    assert bound["address"] == address and bound["eip"] == "web-ip"
    vips = json.loads(lab.ovn.nbctl("--format=json", "--columns=vips", "find", "Load_Balancer",
                                    "name=vpc-%s-tcp-load" % NAMESPACE))["data"][0][0]
    assert ["%s:443" % address, "10.0.0.10:8443"] in vips[1], vips
    assert {"type": "ServiceLb", "ownerRef": "web"} in eip["status"]["owners"]
    router_lbs = lab.ovn.nbctl("lr-lb-list", NAMESPACE)  # the LB is attached to the project router
    assert "%s:443" % address in router_lbs and "10.0.0.10:8443" in router_lbs, router_lbs

    # verify_ovn: the VIP <EIP>:443 of the project's TCP load balancer sends to the Service's ready endpoints.
    kube_dc.settle()
    verified = dict(BASE, kubeconfig=kube.kubeconfig, eip="web-ip", verify_ovn=True, wait_timeout=60, wait_sleep=0.2,
                    **lab.nb)
    for check in (True, False):
        assert run_module("lb_binding", verified, check=check)["changed"] is False
    # The VIP's backends change behind Kube-DC's back (its controller stopped, lest it repair them at once).
    lb, vip = "vpc-%s-tcp-load" % NAMESPACE, "%s:443" % address
    kube_dc.stop()
    try:
        lab.ovn.nbctl("set", "Load_Balancer", lb, 'vips:"%s"="10.0.0.99:8443"' % vip)
        version = core.read_namespaced_service("web", NAMESPACE).metadata.resource_version
        for check in (True, False):
            with pytest.raises(ModuleFailed) as failed:
                run_module("lb_binding", verified, check=check)
            result = failed.value.result
            assert result["msg"].startswith(
                "Service acme-prod/web is ready in Kube-DC, but the OVN Northbound DB does not match: "), result["msg"]
            assert result["drift"] == ["VIP %s of Load_Balancer %s sends to 10.0.0.99:8443, not to the Service's "
                                       "endpoints 10.0.0.10:8443" % (vip, lb)]
        assert core.read_namespaced_service("web", NAMESPACE).metadata.resource_version == version, "verify_ovn wrote"
        # Without verify_ovn the same task succeeds: the drift is only visible by looking.
        assert run_module("lb_binding", dict(verified, verify_ovn=False))["changed"] is False
        lab.ovn.nbctl("remove", "Load_Balancer", lb, "vips", '"%s"' % vip)
        with pytest.raises(ModuleFailed) as failed:
            run_module("lb_binding", verified, check=True)
        assert failed.value.result["drift"] == ["Load_Balancer %s has no VIP %s" % (lb, vip)]
    finally:
        kube_dc.start()
    kube_dc.settle()  # the controller writes the VIP back
    assert run_module("lb_binding", verified)["changed"] is False

    # A gateway route: the task waits for the hostname the controller assigns, and verify_ovn has no
    # row of the project to check.
    routed = run_module("lb_binding", dict(verified, eip=None, expose_route="http", wait=True))
    assert routed["changed"] is True and routed["lb_binding"]["expose_route"] == "http"
    assert routed["lb_binding"]["route_hostname"] == "web-%s.apps.kube-dc.test" % NAMESPACE
    back = run_module("lb_binding", dict(verified, verify_ovn=False, wait=True))
    assert back["changed"] is True and back["lb_binding"]["address"] == address
    kube_dc.settle()
    assert ROUTE_STATUS not in core.read_namespaced_service("web", NAMESPACE).metadata.annotations
    assert run_module("lb_binding", verified)["changed"] is False

    # A second Service on the same EIp and port is refused before Kube-DC would leave it pending.
    core.create_namespaced_service(NAMESPACE, {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
        "spec": {"type": "LoadBalancer", "ports": [dict(name="https", port=443, targetPort=8443, protocol="TCP")]}})
    with pytest.raises(ModuleFailed) as failed:
        run_module("lb_binding", dict(BASE, kubeconfig=kube.kubeconfig, service="api", eip="web-ip"))
    assert "is already bound on EIp web-ip (%s) by Service web" % address in failed.value.result["msg"]

    # Moving to the default-gw EIp: the controller moves the VIP and the ingress IP.
    gw = custom.get_namespaced_custom_object("kube-dc.com", "v1", NAMESPACE, "eips", "default-gw")["status"]["ipAddress"]
    moved = run_module("lb_binding", dict(BASE, kubeconfig=kube.kubeconfig, eip="default-gw", wait=True,
                                          wait_timeout=60, wait_sleep=0.2))
    assert moved["commands"] == patch_of(ON_GW + "=true", ON_EIP + "=(removed)")
    assert moved["lb_binding"]["address"] == gw

    removed = run_module("lb_binding", dict(BASE, kubeconfig=kube.kubeconfig, state="absent", wait=True,
                                            wait_timeout=60, wait_sleep=0.2))
    assert removed["changed"] is True
    assert core.read_namespaced_service("web", NAMESPACE).metadata.annotations in (None, {})


def test_vip_drift_reads_the_endpoints_as_kube_ovn_does():
    """The expected VIPs: the sess- load balancer for ClientIP, ready (or unset) endpoints on the named slice port."""
    from ansible_collections.kubedc.network.plugins.module_utils.kube_dc.lb_binding import vip_drift

    service = {"spec": {"sessionAffinity": "ClientIP", "ports": [
        dict(name="https", port=443, targetPort="https", protocol="TCP"), dict(name="dns", port=53, protocol="UDP")]}}
    slices = [
        {"addressType": "IPv4", "ports": [dict(name="https", port=8443, protocol="TCP"), dict(name="dns", port=5353, protocol="UDP")],
         "endpoints": [dict(addresses=["10.0.0.10"], conditions=dict(ready=True)), dict(addresses=["10.0.0.9"]),
                       dict(addresses=["10.0.0.11"], conditions=dict(ready=False))]},
        {"addressType": "IPv6", "ports": [dict(name="https", port=8443, protocol="TCP")],
         "endpoints": [dict(addresses=["fd00::10"])]},
    ]
    tcp, udp = "vpc-acme-prod-tcp-sess-load", "vpc-acme-prod-udp-sess-load"
    router = dict(vips={tcp: {"100.65.0.50:443": "10.0.0.10:8443,10.0.0.9:8443"}, udp: {"100.65.0.50:53": "10.0.0.9:5353"}})
    assert vip_drift(router, NAMESPACE, "100.65.0.50", service, slices) == [
        "VIP 100.65.0.50:53 of Load_Balancer %s sends to 10.0.0.9:5353, not to the Service's endpoints "
        "10.0.0.9:5353,10.0.0.10:5353" % udp]
    router["vips"][udp]["100.65.0.50:53"] = "10.0.0.10:5353,10.0.0.9:5353"
    assert vip_drift(router, NAMESPACE, "100.65.0.50", service, slices) == []
    del router["vips"][udp]
    router["vips"][tcp]["100.65.0.50:443"] = ""
    assert vip_drift(router, NAMESPACE, "100.65.0.50", service, slices) == [
        "VIP 100.65.0.50:443 of Load_Balancer %s sends to nothing, not to the Service's endpoints "
        "10.0.0.9:8443,10.0.0.10:8443" % tcp,
        "Load_Balancer %s is missing or not attached to Logical_Router acme-prod" % udp]
    assert vip_drift(None, NAMESPACE, "100.65.0.50", service, slices) == ["Logical_Router acme-prod is missing"]
