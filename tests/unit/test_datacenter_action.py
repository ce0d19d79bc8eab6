# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The datacenter action plugin: Ansible's normal action, run with the collector paused."""

import gc

import pytest
from ansible.plugins.action import normal

from ansible_collections.kubedc.network.plugins.action.datacenter import ActionModule


def test_the_task_runs_the_normal_action_with_the_collector_paused(monkeypatch):
    seen = []

    def normal_run(self, tmp=None, task_vars=None):
        seen.append((gc.isenabled(), task_vars))
        return {"changed": False}

    monkeypatch.setattr(normal.ActionModule, "run", normal_run)
    action = object.__new__(ActionModule)
    assert action.run(task_vars={"a": 1}) == {"changed": False}
    assert seen == [(False, {"a": 1})]
    assert gc.isenabled()


def test_a_failing_action_resumes_the_collector(monkeypatch):
    def normal_run(self, tmp=None, task_vars=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(normal.ActionModule, "run", normal_run)
    with pytest.raises(RuntimeError):
        object.__new__(ActionModule).run(task_vars={})
    assert gc.isenabled()
