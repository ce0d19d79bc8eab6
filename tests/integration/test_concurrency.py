# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address allocation is safe when several runs allocate from one pool at once."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import ovs.db.idl

from ansible_collections.kubedc.network.plugins.module_utils.ovn import ipam
from support import EXT_CLOUD, synced_nb_idl
from ansible_collections.kubedc.network.plugins.module_utils.ovn.engine import Existing, TxnContext

TESTS = Path(__file__).resolve().parents[1]


def _allocate(idl, owner):
    row = next(r for r in idl.tables["Logical_Switch"].rows.values() if r.name == "ext-cloud")
    txn = ovs.db.idl.Transaction(idl)
    ctx = TxnContext(idl, txn)
    op = ipam.Allocate(Existing("Logical_Switch", row), owner, None, "(planned)", "address")
    op.run(ctx)
    return txn.commit_block(), ctx.values[op.slot]


def test_a_stale_allocation_is_retried_not_duplicated(lab, ext_cloud):
    first, second = synced_nb_idl(lab.nb["ovn_nb_connection"], ["Logical_Switch"]), synced_nb_idl(lab.nb["ovn_nb_connection"], ["Logical_Switch"])
    try:
        status, address = _allocate(first, "test/first")
        assert (status, address) == (ovs.db.idl.Transaction.SUCCESS, "100.65.0.100")
        # `second` has not seen that commit: it picks the same address from its stale view,
        # and the server refuses the commit because the verified column changed.
        status, address = _allocate(second, "test/second")
        assert (status, address) == (ovs.db.idl.Transaction.TRY_AGAIN, "100.65.0.100")
        # On the retry (what ovsdbapp does on TRY_AGAIN) the fresh view gives the next address.
        status, address = _allocate(second, "test/second")
        assert (status, address) == (ovs.db.idl.Transaction.SUCCESS, "100.65.0.101")
    finally:
        first.close()
        second.close()


RUNNER = textwrap.dedent(
    """
    import json, os, sys, time
    from support import run_module, ModuleFailed
    args = json.loads(sys.argv[1])
    go = sys.argv[2]
    open(go + "." + args["name"], "w").close()   # ready
    while not os.path.exists(go):
        time.sleep(0.005)
    try:
        print(json.dumps(run_module("project_network", args)))
    except ModuleFailed as exc:
        print(json.dumps(exc.result))
    """
)


def test_parallel_runs_never_share_an_address(lab, ext_cloud, tmp_path):
    count = 8
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.environ["ANSIBLE_COLLECTIONS_PATH"], str(TESTS), str(TESTS.parent / "tools")])
    go = str(tmp_path / "go")
    procs = []
    for index in range(count):
        args = dict(lab.nb, organization="acme", name="p%d" % index, cidr="10.0.0.0/24")
        procs.append(subprocess.Popen([sys.executable, "-c", RUNNER, json.dumps(args), go], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    deadline = time.monotonic() + 60
    while len([p for p in tmp_path.iterdir() if p.name.startswith("go.")]) < count:
        assert time.monotonic() < deadline, "runners did not start"
        time.sleep(0.01)
    Path(go).touch()  # all eight plan and commit at the same moment
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all(not r["failed"] for r in results), [r.get("msg") for r in results]
    addresses = sorted(r["project_network"]["default_gateway_ip"] for r in results)
    assert addresses == ["100.65.0.%d" % (100 + i) for i in range(count)], addresses
    allocated = lab.run("external_network", EXT_CLOUD, check=True)["external_network"]["allocated"]
    assert sorted((a["owner"], a["address"]) for a in allocated) == sorted(
        ("project_network/acme-" + r["project_network"]["name"], r["project_network"]["default_gateway_ip"]) for r in results
    )
    # Each project's SNAT uses the address recorded for it.
    for result in results:
        project = result["project_network"]
        nat = lab.ovn.nbctl(
            "--data=bare", "--no-headings", "--columns=external_ip",
            "find", "NAT", "logical_ip=10.0.0.0/24", "external_ip=%s" % project["default_gateway_ip"],
        )
        assert nat.strip() == project["default_gateway_ip"]
