# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The datacenter file through the roles and playbooks, as users run them with ansible-playbook."""

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support import UPSTREAM_MAC

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "datacenter.yml"
INVENTORY = REPO / "tests" / "integration" / "files" / "inventory.yml"
RECAP = re.compile(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def example():
    return yaml.safe_load(EXAMPLE.read_text())


class Site(object):
    """ansible-playbook runs of the collection's playbooks on one lab and one datacenter file."""

    def __init__(self, lab, tmp_path):
        self.lab = lab
        self.tmp_path = tmp_path
        self.file = tmp_path / "datacenter.yml"

    def write(self, datacenter):
        self.file.write_text(yaml.safe_dump(datacenter))

    def play(self, playbook, *options):
        # The NB connection comes from the environment, as an AWX credential gives it.
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", OVN_NB_DB=self.lab.ovn.nb_remote,
                   OVN_SB_DB=self.lab.ovn.sb_remote,
                   ANSIBLE_HOME=str(self.tmp_path / "ansible-home"))
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY), "-e", "@" + str(self.file),
             str(REPO / "playbooks" / playbook), *options],
            env=env, capture_output=True, text=True, timeout=600, check=False,
        )
        recap = RECAP.findall(proc.stdout)
        return proc, (tuple(int(x) for x in recap[-1]) if recap else None)

    def converge(self, *options, changed=None):
        proc, recap = self.play("site.yml", *options)
        assert proc.returncode == 0 and recap[3] == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        if changed is not None:
            assert (recap[1] > 0) is changed, proc.stdout[-6000:]
        return summary_of(proc.stdout)


def summary_of(output):
    """The lines of the summary task's message."""
    block = output[output.index("TASK [Summarize what changed"):]
    return re.findall(r'^\s+"(.*)",?$', block[:block.index("PLAY RECAP")], re.M)


@pytest.fixture
def site(lab, tmp_path):
    return Site(lab, tmp_path)


def prod_project(lab):
    return lab.run("project_network", dict(organization="acme", name="prod", cidr="10.0.0.0/24"), check=True)["project_network"]


def test_plan_converge_rerun_prune_and_teardown(site, lab):
    empty = lab.ovn.dump_nb()
    site.write(example())

    # A check run on a fresh NB plans the whole file, projects it cannot plan yet included.
    plan = site.converge("--check", "--diff")
    assert lab.ovn.dump_nb() == empty, "check mode wrote to the NB DB"
    assert plan == [
        "acme-prod:",
        "  create project network", "  create eip db", "  create eip shop", "  create fip admin",
        "  create fip bastion", "  create binding shop",
        "acme-web:",
        "  create project network", "  create binding http", "  create binding metrics",
        "9 to create, 0 to change, 0 to remove.",
    ]

    site.converge("--diff", changed=True)
    project = prod_project(lab)
    # The workloads, as the cloud's controller adds them: every FIP target and VIP backend.
    lab.workload_port(project["switch"], "bastion", "0a:00:00:00:10:0b", "10.0.0.11")
    lab.workload_port(project["switch"], "shop-1", "0a:00:00:00:10:14", "10.0.0.20")
    lab.workload_port(project["switch"], "shop-2", "0a:00:00:00:10:15", "10.0.0.21")
    lab.workload_port(project["switch"], "admin", "0a:00:00:00:10:0c", "10.0.0.12")
    lab.workload_port("acme-web-default", "web-1", "0a:00:00:00:20:14", "10.0.0.20")
    fips = dict((f["name"], f) for f in lab.run("fip", dict(organization="acme", project="prod", fips=[
        dict(name="bastion", ip_address="10.0.0.11"),
        dict(name="admin", ip_address="10.0.0.12", external_network_type="public")]), check=True)["fips"])
    shop = lab.run("eip", dict(organization="acme", project="prod", name="shop"), check=True)["eip"]["address"]
    # The proof: the internet reaches the bastion on its FIP, and a client reaches the shop's backend.
    gateway_mac = lab.ovn.nbctl("get", "Logical_Router_Port", project["gateway_router_port"], "mac").strip().strip('"')
    flow = ('inport=="localnet.ext-cloud" && eth.src=={up} && eth.dst=={gw} && ip4.src==203.0.113.9 && '
            "ip4.dst=={fip} && ip.ttl==64 && tcp && tcp.src==40000 && tcp.dst==22").format(
                up=UPSTREAM_MAC, gw=gateway_mac, fip=fips["bastion"]["external_ip"])
    assert lab.ovn.trace("ext-cloud", flow).outputs == ["bastion"]
    assert lab.trace_client(project, shop, 443, "10.0.0.20:8443").outputs == ["shop-1"]

    converged = lab.ovn.dump_nb()
    proc, recap = site.play("verify.yml")
    assert proc.returncode == 0 and ("2 project(s), 2 EIP(s), 2 FIP(s) and 3 binding(s) as declared, no drift; "
                                     "6 path(s) proven by ovn-trace") in proc.stdout, proc.stdout[-4000:]
    # Drift: the bastion's NAT row moved to another address by hand.
    nat = lab.ovn.nbctl("--bare", "--columns=_uuid", "find", "NAT", "logical_ip=10.0.0.11").split()[0]
    lab.ovn.nbctl("set", "NAT", nat, "logical_ip=10.0.0.99")
    proc, recap = site.play("verify.yml")
    assert proc.returncode != 0 and "acme-prod: fip acme-prod/bastion drifted: update NAT dnat_and_snat" in proc.stdout, proc.stdout[-4000:]
    # ... and the packets to it no longer reach the bastion.
    assert "acme-prod: ovn-trace: fip bastion" in proc.stdout, proc.stdout[-4000:]
    site.converge(changed=True)
    assert lab.ovn.dump_nb() == converged
    assert site.converge(changed=False)[-1] == "0 to create, 0 to change, 0 to remove."
    assert site.converge("--check", "--diff", changed=False)[-1] == "0 to create, 0 to change, 0 to remove."
    assert lab.ovn.dump_nb() == converged

    # The file drops a FIP and a service and adds a FIP: exclusive prunes, and the plan shows it first.
    changed = example()
    prod = changed["kubedc_datacenter"]["organizations"][0]["projects"][0]
    prod["fips"] = [dict(name="ops", ip_address="10.0.0.13")]
    prod["services"] = [s for s in prod["services"] if s["name"] != "shop"]
    site.write(changed)
    proc, recap = site.play("verify.yml")
    for difference in ("acme-prod: EIP shop exists and the file does not name it", "acme-prod: FIP ops is declared and missing",
                       "acme-prod: FIP admin exists and the file does not name it", "acme-prod: binding shop exists and the file does not name it"):
        assert difference in proc.stdout, proc.stdout[-4000:]
    plan = site.converge("--check", "--diff", changed=True)
    assert lab.ovn.dump_nb() == converged
    assert plan == [
        "acme-prod:",
        "  remove binding shop", "  remove eip shop", "  remove fip admin", "  create fip ops",
        "1 to create, 0 to change, 3 to remove.",
    ]
    site.converge(changed=True)
    assert shop not in lab.ovn.nbctl("list", "Load_Balancer")
    assert site.converge("--check", "--diff", changed=False)[-1] == "0 to create, 0 to change, 0 to remove."

    # The file drops project web: verify names it, the plan removes its bindings and then it.
    dropped = copy.deepcopy(changed)
    dropped["kubedc_datacenter"]["organizations"][0]["projects"] = [prod]
    site.write(dropped)
    proc, recap = site.play("verify.yml")
    assert proc.returncode != 0 and "acme-web: the project network exists and the file does not name it" in proc.stdout, proc.stdout[-4000:]
    before_drop = lab.ovn.dump_nb()
    plan = site.converge("--check", "--diff", changed=True)
    assert lab.ovn.dump_nb() == before_drop
    assert plan == [
        "acme-web:",
        "  remove binding http", "  remove binding metrics", "  remove project network",
        "0 to create, 0 to change, 3 to remove.",
    ]
    # Its workload is still attached: the run removes the bindings and refuses the project, by name.
    proc, recap = site.play("site.yml")
    assert proc.returncode != 0 and re.search(r"project network acme-web still has rows that kubedc.network does not manage: "
                                              r"[^\n]*Logical_Switch_Port web-1", proc.stdout), proc.stdout[-4000:]
    lab.ovn.nbctl("lsp-del", "web-1")
    assert site.converge("--check", "--diff", changed=True) == ["acme-web:", "  remove project network", "0 to create, 0 to change, 1 to remove."]
    site.converge(changed=True)
    assert "acme-web" not in lab.ovn.nbctl("list", "Logical_Router")
    assert site.converge("--check", "--diff", changed=False)[-1] == "0 to create, 0 to change, 0 to remove."
    lab.workload_port(project["switch"], "ops", "0a:00:00:00:10:0d", "10.0.0.13")
    proc, recap = site.play("verify.yml")
    assert proc.returncode == 0 and "1 project(s), 1 EIP(s), 2 FIP(s) and 0 binding(s) as declared, no drift" in proc.stdout, proc.stdout[-4000:]

    # The workloads go first (the project refuses to take ports it does not manage with it).
    proc, recap = site.play("teardown.yml")
    assert proc.returncode != 0 and re.search(r"still has rows that kubedc.network does not manage: [^\n]*Logical_Switch_Port bastion",
                                              proc.stdout), proc.stdout[-4000:]
    lab.ovn.nbctl("lsp-del", "bastion", "--", "lsp-del", "shop-1", "--", "lsp-del", "shop-2", "--", "lsp-del", "admin", "--", "lsp-del", "ops")
    proc, recap = site.play("teardown.yml")
    assert proc.returncode == 0 and recap[3] == 0, proc.stdout[-6000:]
    assert lab.ovn.dump_nb() == empty, "teardown left rows behind"
    proc, recap = site.play("teardown.yml")
    assert proc.returncode == 0 and recap[1] == 0, proc.stdout[-6000:]


def _edit(path, value):
    def edit(datacenter):
        node = datacenter["kubedc_datacenter"]
        for key in path[:-1]:
            node = node[key]
        if value is None:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return datacenter
    return edit


PROD = ("organizations", 0, "projects", 0)


@pytest.mark.parametrize(
    "edit,messages",
    [
        # The shape, by the roles' argument specs.
        (_edit(PROD + ("cidr",), None),
         ["missing required arguments: cidr found in kubedc_datacenter -> organizations -> projects"]),
        (_edit(PROD + ("colour",), "red"),
         ["kubedc_datacenter.organizations.projects.colour. Supported parameters include"]),
        # What a shape cannot say, by the datacenter_plan filter, with the full path.
        (_edit(PROD + ("fips", 0, "ip_address"), "10.0.9.12"),
         ["organizations[0].projects[0].fips[0].ip_address (admin): '10.0.9.12' is outside the project's cidr 10.0.0.0/24"]),
        (_edit(PROD + ("services", 0, "expose"), "route"),
         ["organizations[0].projects[0].services[0].expose (bastion): 'route' needs platform kube_dc"]),
        (_edit(PROD + ("fips", 0, "name"), "bastion"),
         ["organizations[0].projects[0].fips[1].name: 'bastion' is the name of organizations[0].projects[0].fips[0] too"]),
        (_edit(PROD + ("fips", 0, "eip"), "nope"),
         ["organizations[0].projects[0].fips[0].external_network_type (admin): 'public' goes with eip",
          "organizations[0].projects[0].fips[0].eip (admin): 'nope' is not an EIP of the project's eips"]),
    ],
)
def test_a_bad_file_is_refused_by_path_before_anything_changes(site, lab, edit, messages):
    start = lab.ovn.dump_nb()
    site.write(edit(example()))
    for options in ((), ("--check",)):
        proc, recap = site.play("site.yml", *options)
        assert proc.returncode != 0 and recap[3] == 1
        output = re.sub(r"\s+", " ", proc.stdout + proc.stderr)
        for message in messages:
            assert message in output, proc.stdout[-4000:]
    assert lab.ovn.dump_nb() == start


def test_teardown_of_a_file_never_converged_changes_nothing(site, lab):
    start = lab.ovn.dump_nb()
    datacenter = example()
    # Its external networks do not exist either; nothing to remove is not an error.
    site.write(copy.deepcopy(datacenter))
    proc, recap = site.play("teardown.yml")
    assert proc.returncode == 0 and recap[1] == 0 and recap[3] == 0, proc.stdout[-4000:]
    assert lab.ovn.dump_nb() == start


def test_check_mode_without_exclusive_shows_a_fip_moved_to_a_new_eip_as_a_change(site, lab):
    file = example()
    file["kubedc_datacenter"]["exclusive"] = False
    site.write(file)
    start = lab.ovn.dump_nb()
    site.converge(changed=True)
    prod = file["kubedc_datacenter"]["organizations"][0]["projects"][0]
    prod["eips"].append(dict(name="adm"))
    prod["fips"] = [dict(name="admin", ip_address="10.0.0.12", eip="adm")]
    site.write(file)
    converged = lab.ovn.dump_nb()
    # The FIP task cannot plan admin on an EIP that does not exist yet; a check-mode task with
    # state absent finds that admin exists, so it is a change.
    assert site.converge("--check", "--diff", changed=True) == [
        "acme-prod:", "  create eip adm", "  change fip admin", "1 to create, 1 to change, 0 to remove."]
    assert lab.ovn.dump_nb() == converged
    site.converge(changed=True)
    fip = lab.run("fip", dict(organization="acme", project="prod", name="admin", ip_address="10.0.0.12", eip="adm"), check=True)
    assert fip["changed"] is False and fip["fip"]["eip"] == "adm"
    assert site.converge("--check", "--diff", changed=False)[-1] == "0 to create, 0 to change, 0 to remove."
    proc, recap = site.play("teardown.yml")
    assert proc.returncode == 0 and recap[3] == 0, proc.stdout[-4000:]
    assert lab.ovn.dump_nb() == start
