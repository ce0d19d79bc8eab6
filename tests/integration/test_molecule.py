# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`molecule test` of molecule/default: a private OVN lab, the roles on examples/datacenter.yml,
idempotence, verify, cleanup (teardown) and destroy.

Molecule runs in the checkout, with its ephemeral directory, HOME and the lab's parent directory
private to the test; ANSIBLE_COLLECTIONS_PATH comes from tests/conftest.py, so the roles under
test are the working tree's.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;;[^\x1b]*\x1b\\")
# "default > verify: Executed: Successful" in the closing details ("➜" instead of ">" in colour).
STEP = re.compile(r"^default \S+ (\w+): Executed: (\w+)", re.M)
RECAP = re.compile(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def processes_under(directory):
    """Command lines of the processes that name ``directory`` (the lab's daemons do)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if directory in cmdline:
            found.append(cmdline)
    return found


@pytest.fixture
def lab_parent():
    # Short, as unix socket paths in the lab must be; the scenario makes its lab directory here.
    directory = tempfile.mkdtemp(prefix="kdc-m-", dir="/tmp")
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_molecule_test_default_scenario(tmp_path, lab_parent):
    assert os.environ.get("ANSIBLE_COLLECTIONS_PATH"), "tests/conftest.py sets ANSIBLE_COLLECTIONS_PATH"
    (tmp_path / "home").mkdir()
    env = dict(os.environ, HOME=str(tmp_path / "home"), MOLECULE_EPHEMERAL_DIRECTORY=str(tmp_path / "ephemeral"),
               KUBEDC_LAB_TMPDIR=lab_parent, NO_COLOR="1", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    for name in ("ANSIBLE_CONFIG", "ANSIBLE_HOME", "OVN_NB_DB"):
        env.pop(name, None)
    # One stream: molecule logs its steps to stderr, the playbooks' output goes to stdout.
    proc = subprocess.run([str(BIN / "molecule"), "test", "--scenario-name", "default"], cwd=str(REPO), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900, check=False)
    output = ANSI.sub("", proc.stdout)
    assert proc.returncode == 0, output[-8000:]

    # Every step of the sequence ran, and succeeded.
    steps = STEP.findall(output)
    assert [step for step, result in steps] == ["destroy", "syntax", "create", "converge", "idempotence", "verify", "cleanup", "destroy"], steps
    assert [result for step, result in steps] == ["Successful"] * 8, steps
    assert re.search(r"^default\s+: actions=8\s+successful=8 .*failed=0", output, re.M), output[-3000:]

    # The lab was started in the private parent directory, and the NB DB was written there.
    started = re.findall(r"OVN lab running in (\S+?)\"?$", output, re.M)
    assert len(started) == 1 and started[0].startswith(lab_parent + "/kdc-mol-"), started
    converge = output[output.index("[default > converge] Executing"):output.index("[default > converge] Executed")]
    assert "TASK [kubedc.network.project_bootstrap : Converge the external networks, project networks and EIPs]" in converge
    assert int(RECAP.findall(converge)[-1][1]) > 0, converge[-3000:]
    # idempotence converged again and nothing changed.
    idempotence = output[output.index("[default > idempotence] Executing"):output.index("[default > idempotence] Executed")]
    assert "TASK [kubedc.network.service_exposure : Converge the FIPs and load balancer bindings, and prune]" in idempotence
    assert RECAP.findall(idempotence)[-1][1:] == ("0", "0", "0"), idempotence[-3000:]
    # verify read every project back and found it as the file declares it.
    verify = output[output.index("[default > verify] Executing"):output.index("[default > verify] Executed")]
    assert "ok: [localhost] => (item=acme-prod)" in verify and "ok: [localhost] => (item=acme-web)" in verify
    assert "verified 2 projects, 2 FIPs and 3 load balancer bindings, no drift" in verify, verify[-3000:]
    # cleanup tore the file down.
    cleanup = output[output.rindex("[default > cleanup] Executing"):output.rindex("[default > cleanup] Executed")]
    assert "TASK [kubedc.network.project_teardown : Tear down everything of the file]" in cleanup
    assert "TASK [No project is left]" in cleanup

    # Afterwards the lab is stopped and gone.
    assert os.listdir(lab_parent) == [], os.listdir(lab_parent)
    assert processes_under(lab_parent) == []
    assert not (tmp_path / "ephemeral" / "ovn_lab.yml").exists()
