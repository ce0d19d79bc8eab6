# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collector pause that NB sessions and the datacenter action plugin hold."""

import gc

import pytest

from ansible_collections.kubedc.network.plugins.module_utils.common import collector


def test_pauses_nest_and_the_outermost_end_resumes():
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_inside_resumes_and_a_stray_resume_does_nothing():
    with pytest.raises(ZeroDivisionError):
        with collector.paused():
            1 / 0  # pylint: disable=pointless-statement
    assert gc.isenabled()
    collector.resume()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_spare_until_exit_freezes_what_is_alive_and_only_that():
    # For a process that ends soon after (a module's exit, a worker's task): what is alive is
    # moved out of later collections, what comes after is collected as usual.
    kept = [object() for _count in range(100)]
    assert gc.get_freeze_count() == 0
    try:
        collector.spare_until_exit()
        frozen = gc.get_freeze_count()
        assert frozen >= len(kept)
        later = [[] for _count in range(10)]
        for item in later:
            item.append(item)  # a cycle: garbage the collector must still find
        del later, item
        assert gc.collect() >= 10
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
