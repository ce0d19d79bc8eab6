# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as users run it: ansible-playbook, module_defaults, --check --diff."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PLAYBOOK = """
- name: Converge a provider network and a project
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/kubedc.network.network:
      ovn_nb_connection: "{nb}"
  tasks:
    - name: Provider network
      kubedc.network.external_network:
        name: ext-cloud
        network_type: cloud
        cidr: 100.65.0.0/16
        reserved: [100.65.0.2-100.65.0.99]
        gateway_chassis: [chassis-1]
    - name: Project
      kubedc.network.project_network:
        organization: acme
        name: prod
        cidr: "{cidr}"
"""

INVENTORY = """
all:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""


def _play(tmp_path, nb, *options, cidr="10.0.0.0/24"):
    (tmp_path / "site.yml").write_text(PLAYBOOK.format(nb=nb, cidr=cidr))
    (tmp_path / "inventory.yml").write_text(INVENTORY)
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_HOME=str(tmp_path / "ansible-home"))
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "site.yml"), *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc


def _recap(output):
    match = re.search(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert match, output
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


@pytest.mark.skipif(not (Path(sys.executable).parent / "ansible-playbook").exists(), reason="ansible-playbook not in this venv")
def test_check_diff_then_apply_then_nothing(lab, ext_cloud, tmp_path):
    # The provider network exists; the project does not. (A project cannot be planned in
    # check mode before its external network exists: nothing would say which it will be.)
    nb = lab.nb["ovn_nb_connection"]
    start = lab.ovn.dump_nb()
    plan = _play(tmp_path, nb, "--check", "--diff")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert _recap(plan.stdout) == dict(ok=2, changed=1, unreachable=0, failed=0)
    # A reviewer sees what would be made.
    assert '+    "cidr": "10.0.0.0/24",' in plan.stdout
    assert '+    "default_gateway_ip": "100.65.0.100",' in plan.stdout
    assert lab.ovn.dump_nb() == start, "--check wrote to the NB DB"

    applied = _play(tmp_path, nb)
    assert _recap(applied.stdout) == dict(ok=2, changed=1, unreachable=0, failed=0), applied.stdout
    again = _play(tmp_path, nb, "--diff")
    assert _recap(again.stdout) == dict(ok=2, changed=0, unreachable=0, failed=0), again.stdout

    broken = _play(tmp_path, nb, cidr="10.0.0.0/33")
    assert broken.returncode == 2
    assert "cidr: '10.0.0.0/33' is not a valid IPv4 CIDR" in broken.stdout
