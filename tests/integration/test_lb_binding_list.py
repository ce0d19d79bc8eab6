# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lb_binding's list form: many bindings in one task and one transaction, and exclusive pruning."""

import json

import pytest

from support import rhythm

PROJECT = dict(organization="acme", name="prod", cidr="10.0.0.0/24")
SCOPE = dict(organization="acme", project="prod")
VMS = [("vm%d" % i, "0a:00:00:00:10:%02x" % (9 + i), "10.0.0.%d" % (9 + i)) for i in range(1, 5)]
TCP_LB = "vpc-acme-prod-tcp-load"
UDP_LB = "vpc-acme-prod-udp-load"
GW = "100.65.0.100"


@pytest.fixture
def project(lab, ext_cloud):
    project = lab.run("project_network", PROJECT)["project_network"]
    for vm in VMS:
        lab.workload_port(project["switch"], *vm)
    return project


def binding(name, port, *backends, **extra):
    return dict(name=name, port=port, backends=list(backends), **extra)


def bindings(*items, **options):
    return dict(SCOPE, bindings=list(items), **options)


def absent(*names):
    return dict(SCOPE, state="absent", bindings=[dict(name=name) for name in names])


def declared(name, port, backends, eip="default-gw", protocol="tcp"):
    """The declaration lb_binding records for a binding of acme-prod."""
    return json.dumps(
        dict(organization="acme", project="prod", name=name, eip=eip, protocol=protocol, port=port, backends=backends),
        sort_keys=True, separators=(",", ":"),
    )


def vips(lab, balancer):
    """The VIPs of a load balancer, as ovn-nbctl shows them."""
    raw = lab.ovn.nbctl("--format=json", "--columns=vips", "find", "Load_Balancer", "name=" + balancer)
    rows = json.loads(raw)["data"]
    return dict(rows[0][0][1]) if rows else None


def balancers(lab):
    return sorted(lab.ovn.nbctl("--bare", "--columns=name", "find", "Load_Balancer").split())


# A list on two protocols, on the default-gateway address and on an EIP of its own.
MIXED = (
    binding("https", 443, "10.0.0.11:8443", "10.0.0.10:8443"),
    binding("http", 80, "10.0.0.10:8080"),
    binding("dns", 53, "10.0.0.12:53", "10.0.0.13:53", protocol="udp"),
    binding("api", 443, "10.0.0.12:8443", eip="web"),
    binding("syslog", 514, "10.0.0.13:514", eip="web", protocol="udp"),
)


def test_rhythm_of_a_list_on_two_protocols_and_two_addresses(lab, project):
    lab.run("eip", dict(SCOPE, name="web"))
    applied = rhythm(lab, "lb_binding", bindings(*MIXED), absent(*[b["name"] for b in MIXED]), key="bindings")
    assert [(b["name"], b["eip"], b["address"], b["protocol"], b["port"], b["backends"], b["load_balancer"]) for b in applied["bindings"]] == [
        ("https", "default-gw", GW, "tcp", 443, ["10.0.0.10:8443", "10.0.0.11:8443"], TCP_LB),
        ("http", "default-gw", GW, "tcp", 80, ["10.0.0.10:8080"], TCP_LB),
        ("dns", "default-gw", GW, "udp", 53, ["10.0.0.12:53", "10.0.0.13:53"], UDP_LB),
        ("api", "web", "100.65.0.101", "tcp", 443, ["10.0.0.12:8443"], TCP_LB),
        ("syslog", "web", "100.65.0.101", "udp", 514, ["10.0.0.13:514"], UDP_LB),
    ]
    assert applied["removed"] == []
    # One load balancer per protocol, created once with all its VIPs.
    assert applied["commands"] == [
        "create Load_Balancer vpc-acme-prod-tcp-load in Logical_Router acme-prod",
        "create Load_Balancer vpc-acme-prod-udp-load in Logical_Router acme-prod",
    ]


def test_one_insert_holds_every_vip_and_record(lab, project):
    lab.run("eip", dict(SCOPE, name="web"))
    lab.run("lb_binding", bindings(*MIXED))
    assert vips(lab, TCP_LB) == {
        "100.65.0.100:443": "10.0.0.10:8443,10.0.0.11:8443",
        "100.65.0.100:80": "10.0.0.10:8080",
        "100.65.0.101:443": "10.0.0.12:8443",
    }
    assert vips(lab, UDP_LB) == {"100.65.0.100:53": "10.0.0.12:53,10.0.0.13:53", "100.65.0.101:514": "10.0.0.13:514"}
    ids = lab.ovn.nbctl("get", "Load_Balancer", TCP_LB, "external_ids:kubedc\\:binding\\:api").strip().strip('"')
    assert ids == "100.65.0.101:443"
    # The single form sees the list's bindings like its own.
    one = lab.run("lb_binding", dict(SCOPE, **MIXED[0]))
    assert one["changed"] is False and one["lb_binding"]["name"] == "https"
    # Removing some of the list keeps the others and their rows.
    gone = lab.run("lb_binding", absent("https", "dns", "nothing-here"))
    assert gone["removed"] == ["dns", "https"] and gone["bindings"] == []
    assert [b["name"] for b in gone["diff"]["before"]["bindings"]] == ["https", "dns"]
    assert gone["commands"] == [
        "update Load_Balancer vpc-acme-prod-tcp-load: remove vips:100.65.0.100:443",
        "update Load_Balancer vpc-acme-prod-tcp-load: remove external_ids:kubedc:binding:https, external_ids:kubedc:declared:https",
        "update Load_Balancer vpc-acme-prod-udp-load: remove vips:100.65.0.100:53",
        "update Load_Balancer vpc-acme-prod-udp-load: remove external_ids:kubedc:binding:dns, external_ids:kubedc:declared:dns",
    ]
    assert sorted(vips(lab, TCP_LB)) == ["100.65.0.100:80", "100.65.0.101:443"]


def test_clients_reach_a_backend_of_each_binding_of_the_list(lab, project):
    lab.run("eip", dict(SCOPE, name="web"))
    applied = lab.run("lb_binding", bindings(*MIXED))
    port_of = dict((ip, vm) for vm, _mac, ip in VMS)
    for view in applied["bindings"]:
        for backend in view["backends"]:
            trace = lab.trace_client(project, view["address"], view["port"], backend, view["protocol"])
            vm = port_of[backend.rsplit(":", 1)[0]]
            assert trace.outputs == [vm], (view["name"], backend, trace.summary)
            assert trace.lb_backends == [view["backends"]]
            assert trace.final_fields[vm]["ip4.dst"] == backend.rsplit(":", 1)[0]
    # The project's own SNAT still works on the shared default-gateway address.
    egress = lab.trace_egress(project, *VMS[0])
    assert egress.outputs == ["localnet.ext-cloud"] and egress.snat == [GW]


def test_exclusive_prunes_first_and_an_empty_list_removes_all(lab, project):
    start = lab.ovn.dump_nb()
    a, b = binding("a", 80, "10.0.0.10:8080"), binding("b", 81, "10.0.0.11:8080")
    c = binding("c", 53, "10.0.0.12:53", protocol="udp")
    lab.run("lb_binding", bindings(a, b, c))
    # Without exclusive, a shorter list leaves the others alone.
    kept = lab.run("lb_binding", bindings(a))
    assert kept["changed"] is False and kept["removed"] == []

    # d takes b's port, which the pruning of b frees in the same transaction.
    d = binding("d", 81, "10.0.0.13:8080")
    plan = lab.run("lb_binding", bindings(a, d, exclusive=True), check=True)
    assert plan["removed"] == ["b", "c"]
    assert [x["name"] for x in plan["diff"]["before"]["bindings"]] == ["a", "b", "c"]
    assert [x["name"] for x in plan["diff"]["after"]["bindings"]] == ["a", "d"]
    assert plan["commands"] == [
        "update Load_Balancer vpc-acme-prod-tcp-load: remove external_ids:kubedc:binding:b, external_ids:kubedc:declared:b",
        "delete Load_Balancer vpc-acme-prod-udp-load",
        "update Load_Balancer vpc-acme-prod-tcp-load: vips:100.65.0.100:81=10.0.0.13:8080",
        "update Load_Balancer vpc-acme-prod-tcp-load: external_ids:kubedc:binding:d=100.65.0.100:81, "
        "external_ids:kubedc:declared:d=" + declared("d", 81, ["10.0.0.13:8080"]),
    ]
    pruned = lab.run("lb_binding", bindings(a, d, exclusive=True))
    assert pruned["commands"] == plan["commands"] and pruned["removed"] == ["b", "c"]
    assert pruned["bindings"] == plan["bindings"]
    assert balancers(lab) == [TCP_LB]
    assert lab.trace_client(project, GW, 81, "10.0.0.13:8080").outputs == ["vm4"]
    assert lab.run("lb_binding", bindings(a, d, exclusive=True))["changed"] is False

    nothing = lab.run("lb_binding", bindings(exclusive=True))
    assert nothing["removed"] == ["a", "d"] and nothing["bindings"] == []
    assert nothing["commands"] == ["delete Load_Balancer vpc-acme-prod-tcp-load"]
    assert lab.run("lb_binding", bindings(exclusive=True))["changed"] is False
    # What is left is what there was before any binding.
    assert lab.ovn.dump_nb() == start


def test_exclusive_prunes_bindings_made_by_the_single_form(lab, project):
    lab.run("lb_binding", dict(SCOPE, **binding("old", 443, "10.0.0.10:8443")))
    lab.run("lb_binding", dict(SCOPE, **binding("dns", 53, "10.0.0.12:53", protocol="udp")))
    pruned = lab.run("lb_binding", bindings(binding("new", 443, "10.0.0.11:8443"), exclusive=True))
    assert pruned["removed"] == ["dns", "old"]
    assert [x["name"] for x in pruned["diff"]["before"]["bindings"]] == ["dns", "old"]
    assert balancers(lab) == [TCP_LB] and vips(lab, TCP_LB) == {"100.65.0.100:443": "10.0.0.11:8443"}


def test_moving_ports_inside_a_list_is_one_transaction(lab, project):
    a, b = binding("a", 80, "10.0.0.10:8080"), binding("b", 81, "10.0.0.11:8080")
    lab.run("lb_binding", bindings(a, b))
    # A swap: each port has one binding after the transaction, so it is no collision.
    swapped = lab.run("lb_binding", bindings(dict(a, port=81), dict(b, port=80)))
    assert swapped["commands"] == [
        "update Load_Balancer vpc-acme-prod-tcp-load: remove external_ids:kubedc:binding:a, external_ids:kubedc:declared:a, "
        "external_ids:kubedc:binding:b, external_ids:kubedc:declared:b",
        "update Load_Balancer vpc-acme-prod-tcp-load: vips:100.65.0.100:80=10.0.0.11:8080, vips:100.65.0.100:81=10.0.0.10:8080",
        "update Load_Balancer vpc-acme-prod-tcp-load: external_ids:kubedc:binding:a=100.65.0.100:81, "
        "external_ids:kubedc:binding:b=100.65.0.100:80, "
        "external_ids:kubedc:declared:a=" + declared("a", 81, ["10.0.0.10:8080"]) + ", "
        "external_ids:kubedc:declared:b=" + declared("b", 80, ["10.0.0.11:8080"]),
    ]
    assert [(x["name"], x["port"]) for x in swapped["diff"]["before"]["bindings"]] == [("a", 80), ("b", 81)]
    assert [(x["name"], x["port"]) for x in swapped["bindings"]] == [("a", 81), ("b", 80)]
    assert lab.trace_client(project, GW, 80, "10.0.0.11:8080").outputs == ["vm2"]
    assert lab.trace_client(project, GW, 81, "10.0.0.10:8080").outputs == ["vm1"]

    # One binding moves to a new port, another to the other protocol; the third stays as it is.
    c = binding("c", 82, "10.0.0.12:8080")
    lab.run("lb_binding", bindings(dict(a, port=81), dict(b, port=80), c))
    moved = lab.run("lb_binding", bindings(dict(a, port=8081), dict(b, port=80, protocol="udp"), c))
    assert moved["commands"] == [
        "update Load_Balancer vpc-acme-prod-tcp-load: remove vips:100.65.0.100:80, vips:100.65.0.100:81",
        "update Load_Balancer vpc-acme-prod-tcp-load: remove external_ids:kubedc:binding:a, external_ids:kubedc:declared:a, "
        "external_ids:kubedc:binding:b, external_ids:kubedc:declared:b",
        "update Load_Balancer vpc-acme-prod-tcp-load: vips:100.65.0.100:8081=10.0.0.10:8080",
        "update Load_Balancer vpc-acme-prod-tcp-load: external_ids:kubedc:binding:a=100.65.0.100:8081, "
        "external_ids:kubedc:declared:a=" + declared("a", 8081, ["10.0.0.10:8080"]),
        "create Load_Balancer vpc-acme-prod-udp-load in Logical_Router acme-prod",
    ]
    assert vips(lab, TCP_LB) == {"100.65.0.100:8081": "10.0.0.10:8080", "100.65.0.100:82": "10.0.0.12:8080"}
    assert vips(lab, UDP_LB) == {"100.65.0.100:80": "10.0.0.11:8080"}
    assert lab.trace_client(project, GW, 80, "10.0.0.11:8080", "udp").outputs == ["vm2"]


def test_port_collisions_inside_the_list_and_outside_it(lab, project):
    lab.run("eip", dict(SCOPE, name="web"))
    # The same port on another protocol or another address is another VIP.
    fine = lab.run("lb_binding", bindings(
        binding("a", 443, "10.0.0.10:8443"),
        binding("b", 443, "10.0.0.11:8443", protocol="udp"),
        binding("c", 443, "10.0.0.12:8443", eip="web"),
    ))
    assert len(fine["bindings"]) == 3
    lab.run("lb_binding", dict(SCOPE, **binding("old", 8000, "10.0.0.13:80")))
    # Two items of the list on one address, port and protocol.
    for check in (False, True):
        inside = lab.fails("lb_binding", bindings(
            binding("a", 443, "10.0.0.10:8443"),
            binding("x", 80, "10.0.0.10:80"),
            binding("y", 80, "10.0.0.11:80"),
        ), check=check)
        assert inside["msg"] == (
            "bindings[2] (y): port: 80 is bound on default-gw/tcp by bindings[1] (x) too; "
            "each address, port and protocol may appear once in the list"
        )
        assert inside["field"] == "bindings[2].port"
        # A binding that the list does not name keeps its port.
        outside = lab.fails("lb_binding", bindings(binding("a", 443, "10.0.0.10:8443"), binding("z", 8000, "10.0.0.10:80")), check=check)
        assert outside["msg"] == "bindings[1] (z): port: 100.65.0.100:8000/tcp is already bound on default-gw by old; choose another port"
        assert outside["field"] == "bindings[1].port"
    # A VIP that kubedc.network does not manage, on its load balancer.
    lab.ovn.nbctl("set", "Load_Balancer", TCP_LB, 'vips:"100.65.0.100:9000"="10.0.0.13:9000"')
    foreign = lab.fails("lb_binding", bindings(binding("a", 443, "10.0.0.10:8443"), binding("z", 9000, "10.0.0.10:80")))
    assert foreign["msg"] == (
        "bindings[1] (z): port: 100.65.0.100:9000/tcp is already bound on default-gw by a VIP kubedc.network does not manage; "
        "choose another port"
    )
    # With exclusive the binding outside the list goes in the same transaction, so its port is free.
    taken = lab.run("lb_binding", bindings(binding("a", 443, "10.0.0.10:8443"), binding("z", 8000, "10.0.0.10:80"), exclusive=True))
    assert taken["removed"] == ["b", "c", "old"]
    assert vips(lab, TCP_LB)["100.65.0.100:8000"] == "10.0.0.10:80"
    assert vips(lab, TCP_LB)["100.65.0.100:9000"] == "10.0.0.13:9000", "a VIP kubedc.network does not manage was touched"


@pytest.mark.parametrize(
    "args,message,field",
    [
        (bindings(binding("a", 80, "10.0.0.10:80"), binding("a", 81, "10.0.0.11:80")),
         "bindings[1] (a): name: 'a' is the name of bindings[0] (a) too; each may appear once in the list", "bindings[1].name"),
        (bindings(binding("a", 80, "10.0.0.10:80"), binding("B", 81, "10.0.0.11:80")),
         "bindings[1] (B): name: 'B' is not a valid name", "bindings[1].name"),
        (bindings(binding("a", 80, "10.0.0.10:80"), binding("b", 81, "10.0.0.11")),
         "bindings[1] (b): backends[0]: '10.0.0.11' is not an address:port backend like 10.0.0.10:8080", "bindings[1].backends[0]"),
        (bindings(binding("a", 80, "10.0.0.10:80"), binding("b", 81, "10.0.0.11:80", "10.0.0.11:80")),
         "bindings[1] (b): backends: ['10.0.0.11:80', '10.0.0.11:80'] lists a backend twice", "bindings[1].backends"),
        (bindings(binding("a", 80, "10.0.0.10:80"), binding("b", 81)),
         "bindings[1] (b): backends: [] is empty: a VIP needs at least one backend", "bindings[1].backends"),
        (bindings(binding("a", 80, "10.0.0.10:80"), binding("b", 81, "10.0.0.11:80", "10.0.1.10:80")),
         "bindings[1] (b): backends[1]: '10.0.1.10' is outside 10.0.0.0/24", "bindings[1].backends[1]"),
        (bindings(binding("a", 80, "10.0.0.10:80"), binding("b", 81, "10.0.0.11:80", eip="nope")),
         "bindings[1] (b): eip: 'nope' is not an EIP of project acme-prod: reserve it with kubedc.network.eip first", "bindings[1].eip"),
        (bindings(binding("a", 80, "10.0.0.10:80"), binding("b", 70000, "10.0.0.11:80")),
         "bindings[1] (b): port: 70000 must be a port number from 1 to 65535", "bindings[1].port"),
        (bindings(binding("a", 80, "10.0.0.10:80"), dict(name="b", backends=["10.0.0.11:80"])),
         "bindings[1] (b): port: None is required with state=present", "bindings[1].port"),
        (bindings(binding("a", 80, "10.0.0.10:80"), dict(name="b", port=81)),
         "bindings[1] (b): backends: None is required with state=present", "bindings[1].backends"),
        (dict(SCOPE, name="a", port=80, backends=["10.0.0.10:80"], exclusive=True),
         "exclusive: True needs the list form (bindings: [...])", "exclusive"),
        (dict(absent("a"), exclusive=True),
         "exclusive: True only applies with state=present", "exclusive"),
        (dict(SCOPE, name="a", bindings=[]),
         "parameters are mutually exclusive: bindings|name", None),
        (dict(SCOPE, port=80, bindings=[binding("a", 80, "10.0.0.10:80")]),
         "parameters are mutually exclusive: bindings|port", None),
        (bindings(binding("a", 80, "10.0.0.10:80", protocol="http")),
         "value of protocol must be one of: tcp, udp, sctp, got: http found in bindings", None),
        (dict(SCOPE, port=80, backends=["10.0.0.10:80"]),
         "one of the following is required: name, bindings", None),
    ],
)
def test_one_bad_item_writes_nothing_and_is_named(lab, project, args, message, field):
    lab.run("lb_binding", bindings(binding("z", 8000, "10.0.0.13:80")))
    for check in (False, True):
        result = lab.fails("lb_binding", args, check=check)
        assert result["msg"].startswith(message), result["msg"]
        assert result.get("field") == field


def test_fip_checks_name_the_item(lab, project, ext_public):
    lab.run("eip", dict(SCOPE, name="ssh"))
    lab.run("fip", dict(SCOPE, name="bastion", eip="ssh", ip_address="10.0.0.10"))
    lab.run("fip", dict(SCOPE, name="admin", ip_address="10.0.0.13", external_network_type="public"))
    held = lab.fails("lb_binding", bindings(binding("a", 80, "10.0.0.11:80"), binding("b", 22, "10.0.0.11:22", eip="ssh")))
    assert held["msg"] == (
        "bindings[1] (b): eip: ssh (100.65.0.101) is held by a floating IP (NAT dnat_and_snat 100.65.0.101 -> 10.0.0.10); "
        "a load balancer needs an address a FIP does not own"
    )
    assert held["field"] == "bindings[1].eip"
    other_type = lab.fails("lb_binding", bindings(binding("a", 80, "10.0.0.11:80"), binding("b", 81, "10.0.0.12:80", "10.0.0.13:80")))
    assert other_type["msg"].startswith(
        "bindings[1] (b): backends: 10.0.0.13 has the public floating IP 198.51.100.2 (on ext-public); a VIP on the cloud "
        "network ext-cloud would send its replies out through ext-public"
    )
    assert other_type["field"] == "bindings[1].backends"
    # A backend with a FIP on the same network type is fine.
    assert lab.run("lb_binding", bindings(binding("a", 80, "10.0.0.11:80"), binding("b", 81, "10.0.0.10:80")))["changed"] is True


def test_many_bindings_in_one_task(lab, project):
    start = lab.ovn.dump_nb()
    many = bindings(*[binding("p%03d" % i, 10000 + i, "%s:%d" % (VMS[i % 4][2], 8000 + i)) for i in range(150)])
    applied = lab.run("lb_binding", many)
    assert applied["commands"] == ["create Load_Balancer vpc-acme-prod-tcp-load in Logical_Router acme-prod"]
    assert [b["port"] for b in applied["bindings"]] == list(range(10000, 10150))
    assert len(vips(lab, TCP_LB)) == 150
    assert lab.trace_client(project, GW, 10149, "10.0.0.11:8149").outputs == ["vm2"]
    after = lab.ovn.dump_nb()
    for check in (True, False):
        again = lab.run("lb_binding", many, check=check)
        assert again["changed"] is False and again["commands"] == [] and again["removed"] == []
        assert again["diff"]["before"] == again["diff"]["after"]
    assert lab.ovn.dump_nb() == after
    # One backend changes: one key of the map, not the map.
    one = dict(many, bindings=[dict(b) for b in many["bindings"]])
    one["bindings"][7]["backends"] = ["10.0.0.12:9000"]
    changed = lab.run("lb_binding", one)
    assert changed["commands"] == [
        "update Load_Balancer vpc-acme-prod-tcp-load: vips:100.65.0.100:10007=10.0.0.12:9000",
        "update Load_Balancer vpc-acme-prod-tcp-load: external_ids:kubedc:declared:p007=" + declared("p007", 10007, ["10.0.0.12:9000"]),
    ]
    pruned = lab.run("lb_binding", bindings(exclusive=True))
    assert pruned["removed"] == ["p%03d" % i for i in range(150)]
    assert pruned["commands"] == ["delete Load_Balancer vpc-acme-prod-tcp-load"]
    assert lab.ovn.dump_nb() == start
