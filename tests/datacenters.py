# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated datacenter files, for the tests and benchmarks that need a big one.

``many_projects(100)`` is the file issue 14 measures and kills the NB under: every project has
its network, 3 EIPs, 5 FIPs (two on named EIPs, three on addresses of their own) and 2
load-balancer bindings (one on an EIP of the project, one on its default-gateway address).
"""

EIPS_PER_PROJECT = 3
FIPS_PER_PROJECT = 5
BINDINGS_PER_PROJECT = 2
# The project network, its EIPs, FIPs and bindings.
OBJECTS_PER_PROJECT = 1 + EIPS_PER_PROJECT + FIPS_PER_PROJECT + BINDINGS_PER_PROJECT

EXTERNAL_NETWORK = dict(name="ext-cloud", network_type="cloud", cidr="100.64.0.0/16", gateway="100.64.0.1",
                        gateway_chassis=["gw-1"])


def project(index):
    # /24s 10.<i // 250>.<i % 250>.0: distinct per project, so that a trace of one never
    # matches another's rows by accident.
    base = "10.%d.%d" % (index // 250, index % 250)
    eips = [dict(name="e%d" % n) for n in range(1, EIPS_PER_PROJECT + 1)]
    fips = [dict(name="f%d" % n, ip_address="%s.%d" % (base, 10 + n)) for n in range(1, FIPS_PER_PROJECT + 1)]
    fips[0]["eip"], fips[1]["eip"] = "e2", "e3"
    services = [
        dict(name="game", expose="load_balancer", eip="e1", protocol="udp", port=7777,
             backends=["%s.20:7777" % base, "%s.21:7777" % base]),
        dict(name="web", expose="load_balancer", eip="default-gw", port=80, backends=["%s.22:8080" % base]),
    ]
    return dict(name="p%03d" % index, cidr=base + ".0/24", eips=eips, fips=fips, services=services)


def many_projects(projects=100, per_organization=10, connection=None):
    """A ``kubedc_datacenter`` of ``projects`` projects in organizations of ``per_organization``."""
    organizations = {}
    for index in range(projects):
        organizations.setdefault("org%02d" % (index // per_organization), []).append(project(index))
    datacenter = dict(
        platform="ovn",
        exclusive=True,
        external_networks=[dict(EXTERNAL_NETWORK)],
        organizations=[dict(name=name, projects=found) for name, found in sorted(organizations.items())],
    )
    if connection:
        datacenter["connection"] = dict(connection)
    return dict(kubedc_datacenter=datacenter)


def object_count(projects):
    """The objects of ``many_projects(projects)`` as the datacenter module counts them."""
    return 1 + projects * OBJECTS_PER_PROJECT
