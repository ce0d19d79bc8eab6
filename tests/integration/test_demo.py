# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo` end to end: what the README promises a new user."""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ovn_lab import OvnLab, datapath_unavailable_reason

REPO = Path(__file__).resolve().parents[2]


def test_demo_converges_twice_and_proves_every_path():
    lab_dir = tempfile.mkdtemp(prefix="kdc-demo-", dir="/tmp")
    try:
        proc = subprocess.run(
            [sys.executable, str(REPO / "tools" / "demo.py"), "--lab-dir", lab_dir],
            capture_output=True, text=True, timeout=600, check=False,
        )
    finally:
        OvnLab(lab_dir).stop()
        shutil.rmtree(lab_dir, ignore_errors=True)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert "second run: 0 changed (idempotent: yes)" in out
    assert "ovn-trace proof: 10 of 10 paths as declared" in out
    assert "UNEXPECTED" not in out
    assert "drift after converging: none" in out
    assert "verify.yml: passed" in out and "path(s) proven by ovn-trace" in out
    # The plan came first, from the same file, before anything existed.
    assert out.index("create project network") < out.index("What the collection made")
    # It ends with real traffic where the machine can run the datapath, and says why not elsewhere.
    reason = datapath_unavailable_reason()
    if reason is not None:
        assert "real packets: skipped (no datapath on this machine, see above)" in out and reason in out
        return
    # Every FIP in (ping and TCP), every VIP and every workload's egress: 11 paths in the example.
    assert re.search(r"^real packets: 11 of 11 paths as declared$", out, re.M), out[-3000:]
    assert out.count("[OK]") >= 10 + 11  # the ovn-trace paths and the real ones
