# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/ovn_lab.py's datapath mode where the machine cannot run it: a clear reason, and nothing
made. (What it does where it runs: tests/integration/test_datapath.py.)"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))

import ovn_lab  # noqa: E402  (tools/ is on sys.path from here on)


@pytest.fixture
def lab(tmp_path):
    # Never started: the datapath refuses before it needs the lab's daemons.
    directory = Path("/tmp") / ("kdc-u-%s" % tmp_path.name[-12:])
    yield ovn_lab.OvnLab(directory)
    if directory.exists():
        directory.rmdir()


def made_nothing(lab, datapath):
    assert datapath.namespaces() == []
    assert not datapath.directory.exists()
    assert list(ovn_lab.NETNS_ETC.glob(datapath.prefix + "-*")) == []


def test_without_root_it_says_so_and_makes_nothing(lab, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    datapath = ovn_lab.Datapath(lab)
    with pytest.raises(ovn_lab.DatapathUnavailable, match="needs root: it creates network namespaces"):
        datapath.start()
    made_nothing(lab, datapath)


def test_missing_packages_without_apt_get_are_named(lab, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(ovn_lab, "missing_datapath_packages", lambda: ["openvswitch-switch", "ovn-host"])
    import shutil

    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, path=None: None if name == "apt-get" else which(name, path=path))
    datapath = ovn_lab.Datapath(lab)
    with pytest.raises(ovn_lab.DatapathUnavailable, match="missing packages openvswitch-switch, ovn-host and no apt-get"):
        datapath.start()
    made_nothing(lab, datapath)


def test_a_lab_that_is_not_running_is_refused(lab):
    if ovn_lab.datapath_unavailable_reason() or ovn_lab.missing_datapath_packages():
        pytest.skip("the datapath cannot run here: %s" % (ovn_lab.datapath_unavailable_reason() or "packages missing"))
    datapath = ovn_lab.Datapath(lab)
    with pytest.raises(ovn_lab.OvnLabError, match="is not running; start it first"):
        datapath.start()
    made_nothing(lab, datapath)


def test_stop_on_a_lab_that_never_had_a_datapath_does_nothing(lab):
    datapath = ovn_lab.Datapath(lab)
    datapath.stop()
    lab.stop()
    made_nothing(lab, datapath)
