# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the tests: run a module in-process, drive the lab, the test rhythm.

``run_module`` runs a module in this process the way Ansible would and returns
its result; ``ModuleFailed`` carries the result of ``fail_json``.
"""

import importlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def ansible_command(name="ansible-playbook"):
    """The path of an Ansible command for the playbook-level tests: this venv's, or that of the
    directory KUBEDC_TEST_ANSIBLE_BIN names (CI runs those tests again on the oldest ansible-core
    meta/runtime.yml claims, from a venv of its own)."""
    return str(Path(os.environ.get("KUBEDC_TEST_ANSIBLE_BIN") or Path(sys.executable).parent) / name)


def make_collection_importable():
    """Make this checkout importable as ``ansible_collections.kubedc.network``.

    Uses the tree the checkout sits in, if it is one, or else a symlink tree in
    a temp dir, whose path is returned for the caller to remove. Also points
    ANSIBLE_COLLECTIONS_PATH there, for ansible-playbook runs.
    """
    if REPO.parent.name == "kubedc" and REPO.parent.parent.name == "ansible_collections":
        root, owned = REPO.parent.parent.parent, None
    else:
        root = owned = Path(tempfile.mkdtemp(prefix="kubedc-collections-"))
        (root / "ansible_collections" / "kubedc").mkdir(parents=True)
        (root / "ansible_collections" / "kubedc" / "network").symlink_to(REPO)
    sys.path.insert(0, str(root))
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(root)
    return owned


class ModuleFailed(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


class _Exit(Exception):
    def __init__(self, result):
        super().__init__()
        self.result = result


def _main_result(module, args):
    from ansible.module_utils.testing import patch_module_args

    try:
        with patch_module_args(args):
            module.main()
    except _Exit as done:
        return done.result
    raise AssertionError("%s returned without exit_json or fail_json" % module.__name__)


def run_module(name, args, check=False, diff=True):
    """Run kubedc.network.<name> in-process; return its result or raise ModuleFailed."""
    from ansible.module_utils import basic

    module = importlib.import_module("ansible_collections.kubedc.network.plugins.modules." + name)
    full = dict(args)
    full["_ansible_check_mode"] = check
    full["_ansible_diff"] = diff

    def exit_json(self, **result):
        raise _Exit(dict(result, failed=False))

    def fail_json(self, msg, **result):
        raise _Exit(dict(result, msg=msg, failed=True))

    original = basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json
    basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json = exit_json, fail_json
    try:
        result = _main_result(module, full)
    finally:
        basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json = original
    # What Ansible would send back over the wire must be JSON.
    json.dumps(result)
    if result["failed"]:
        raise ModuleFailed(result)
    return result


UPSTREAM_MAC = "0a:ff:00:00:00:01"

EXT_CLOUD = dict(
    name="ext-cloud",
    network_type="cloud",
    cidr="100.65.0.0/16",
    gateway="100.65.0.1",
    reserved=["100.65.0.2-100.65.0.99"],
    gateway_chassis=["chassis-1"],
)
EXT_PUBLIC = dict(
    name="ext-public",
    network_type="public",
    cidr="198.51.100.0/24",
    gateway="198.51.100.1",
    gateway_chassis=["chassis-1"],
)

# The workload ports of acme/prod (10.0.0.0/24) that the trace and datapath tests plug in, as a
# cloud controller adds them: name -> (MAC, address).
VMS = {
    "vm1": ("0a:00:00:00:10:0a", "10.0.0.10"),
    "vm2": ("0a:00:00:00:10:0b", "10.0.0.11"),
    "vm3": ("0a:00:00:00:10:0c", "10.0.0.12"),
    "web1": ("0a:00:00:00:10:14", "10.0.0.20"),
    "web2": ("0a:00:00:00:10:15", "10.0.0.21"),
}


class Lab(object):
    """The lab plus the module calls the tests make over and over."""

    def __init__(self, ovn_lab, nb):
        self.ovn = ovn_lab
        self.nb = nb

    def run(self, module, args, check=False, diff=True):
        full = dict(self.nb)
        full.update(args)
        return run_module(module, full, check=check, diff=diff)

    def fails(self, module, args, check=False):
        """Run a module that must fail; return its result and prove nothing was written."""
        before = self.ovn.dump_nb()
        with pytest.raises(ModuleFailed) as err:
            self.run(module, args, check=check)
        assert self.ovn.dump_nb() == before, "a failed %s call changed the NB DB" % module
        return err.value.result

    def workload_port(self, switch, name, mac, ip):
        """A VM/pod port as a CMS would add it; not managed by the collection."""
        self.ovn.nbctl("lsp-add", switch, name, "--", "lsp-set-addresses", name, "%s %s" % (mac, ip))

    def trace_egress(self, project, vm_port, vm_mac, vm_ip, dst="8.8.8.8"):
        """ovn-trace a UDP packet from a workload to an internet address."""
        # ovn-controller would learn the upstream gateway's MAC from its ARP reply.
        self.ovn.learn_mac(project["gateway_router_port"], self.gateway_of(project), UPSTREAM_MAC)
        router_mac = self.ovn.nbctl(
            "get", "Logical_Router_Port", "%s-%s" % (project["router"], project["switch"]), "mac"
        ).strip().strip('"')
        flow = (
            'inport=="{port}" && eth.src=={mac} && eth.dst=={rmac} && ip4.src=={ip} && '
            "ip4.dst=={dst} && ip.ttl==64 && udp && udp.src==40000 && udp.dst==53"
        ).format(port=vm_port, mac=vm_mac, rmac=router_mac, ip=vm_ip, dst=dst)
        return self.ovn.trace(project["switch"], flow)

    def trace_client(self, project, address, port, backend, protocol="tcp"):
        """ovn-trace a new connection from an internet client to ``address:port`` on ext-cloud,
        with the load balancer steering it to ``backend``."""
        gateway_mac = self.ovn.nbctl("get", "Logical_Router_Port", project["gateway_router_port"], "mac").strip().strip('"')
        flow = (
            'inport=="localnet.ext-cloud" && eth.src=={up} && eth.dst=={gw} && ip4.src==203.0.113.9 && '
            "ip4.dst=={address} && ip.ttl==64 && {proto} && {proto}.src==40000 && {proto}.dst=={port}"
        ).format(up=UPSTREAM_MAC, gw=gateway_mac, address=address, port=port, proto=protocol)
        return self.ovn.trace("ext-cloud", flow, ct=["new"], lb_dst=backend)

    def gateway_of(self, project):
        ext = self.run("external_network", dict(EXT_BY_NAME[project["external_network"]]), check=True)
        return ext["external_network"]["gateway"]


EXT_BY_NAME = {EXT_CLOUD["name"]: EXT_CLOUD, EXT_PUBLIC["name"]: EXT_PUBLIC}


def rhythm(lab, module, present, absent, key=None):
    """check -> apply -> check (no change) -> apply (no change) -> absent -> absent again.

    Check-mode runs must leave the NB byte-for-byte identical. Returns the
    result of the real apply. ``key`` is the result key of a list form
    (``fips``); its diffs are ``{key: [...]}`` rather than one object.
    """
    key = key or module
    bulk = key != module
    empty = [] if bulk else {}

    def diff_side(result, side):
        return result["diff"][side][key] if bulk else result["diff"][side]

    start = lab.ovn.dump_nb()
    planned = lab.run(module, present, check=True)
    assert planned["changed"] is True and planned["commands"]
    assert lab.ovn.dump_nb() == start, "check mode wrote to the NB DB"

    applied = lab.run(module, present)
    assert applied["changed"] is True
    assert applied["commands"] == planned["commands"], "check mode planned other changes than the real run made"
    assert diff_side(applied, "before") == empty and diff_side(applied, "after") == applied[key]
    assert applied[key] == planned[key], "check mode previewed another result than the real run gave"
    assert lab.ovn.dump_nb() != start

    after_apply = lab.ovn.dump_nb()
    for check in (True, False):
        again = lab.run(module, present, check=check)
        assert again["changed"] is False, again["commands"]
        assert again["commands"] == []
        assert again[key] == applied[key]
        assert diff_side(again, "before") == diff_side(again, "after")
    assert lab.ovn.dump_nb() == after_apply

    planned_delete = lab.run(module, absent, check=True)
    assert planned_delete["changed"] is True and planned_delete["commands"]
    assert diff_side(planned_delete, "after") == empty and diff_side(planned_delete, "before") == applied[key]
    assert lab.ovn.dump_nb() == after_apply, "check mode wrote to the NB DB"

    deleted = lab.run(module, absent)
    assert deleted["changed"] is True and deleted["commands"] == planned_delete["commands"]
    assert lab.ovn.dump_nb() == start, "state=absent left rows behind"

    again = lab.run(module, absent)
    assert again["changed"] is False and again["commands"] == []
    return applied


RECAP = re.compile(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


class PlaybookRun(object):
    """One finished ansible-playbook run of the datacenter playbooks, read as a user reads it:
    the recap, the summary task's lines, the diff headers, the failed task's result."""

    def __init__(self, proc):
        self.proc = proc
        self.stdout = proc.stdout
        recap = RECAP.findall(proc.stdout)
        self.recap = tuple(int(x) for x in recap[-1]) if recap else None
        self.changed = self.recap[1] if self.recap else None
        self.failed = self.recap[3] if self.recap else None
        self.tail = proc.stdout[-8000:] + proc.stderr[-3000:]

    @property
    def ok(self):
        return self.proc.returncode == 0

    @property
    def summary(self):
        """The lines of the summary task's message."""
        block = self.stdout[self.stdout.index("TASK [Summarize what changed"):]
        return re.findall(r'^\s+"(.*)",?$', block[:block.index("PLAY RECAP")], re.M)

    @property
    def diff_headers(self):
        return re.findall(r"^\+\+\+ after: (.*)$", self.stdout, re.M)

    @property
    def failure(self):
        """The result of the task that failed, as the default callback prints it."""
        marker = self.stdout.index("FAILED! => ") + len("FAILED! => ")
        return json.JSONDecoder().raw_decode(self.stdout[marker:])[0]

    def says(self, text):
        """Whether the run printed ``text``, wherever Ansible wrapped or quoted it."""
        return re.sub(r"\s+", " ", text) in re.sub(r"\s+", " ", self.stdout + self.proc.stderr)


def synced_nb_idl(remote, tables=None):
    """A plain ovs IDL of the NB at ``remote`` (``tables``, or all of them), synced once: for the
    tests that write or read rows beside the modules, as another client would."""
    import time

    import ovs.db.idl
    import ovs.poller

    helper = ovs.db.idl.SchemaHelper("/usr/share/ovn/ovn-nb.ovsschema")
    if tables is None:
        helper.register_all()
    for table in tables or ():
        helper.register_table(table)
    idl = ovs.db.idl.Idl(remote, helper)
    deadline = time.monotonic() + 10
    while not idl.has_ever_connected():
        idl.run()
        poller = ovs.poller.Poller()
        idl.wait(poller)
        poller.timer_wait(100)
        poller.block()
        assert time.monotonic() < deadline, "the NB at %s did not answer" % remote
    return idl
