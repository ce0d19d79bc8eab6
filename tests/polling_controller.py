# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The loop the tests' stand-in controllers share (Kube-DC's, ACK's EIP controller).

A real controller watches; these poll: ``reconcile_once()`` reads what the API server has and
writes what the controller would, returning how many writes it made. ``start()`` runs it every
``interval`` seconds in a daemon thread until ``stop()``; a test that wants no thread calls
``settle()``, which runs passes until one writes nothing.
"""

from __future__ import annotations

import threading


class PollingController:
    thread_name = "controller"
    # How many passes settle() allows before it calls the controller stuck.
    settle_passes = 20

    def __init__(self, interval):
        self.interval = interval
        self._stop = threading.Event()
        self._thread = None

    def reconcile_once(self):
        raise NotImplementedError

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self):
        while not self._stop.is_set():
            self.reconcile_once()
            self._stop.wait(self.interval)

    def settle(self, max_passes=None):
        """Run passes until one writes nothing; returns how many ran."""
        max_passes = max_passes or self.settle_passes
        for count in range(1, max_passes + 1):
            if self.reconcile_once() == 0:
                return count
        raise AssertionError("the %s did not settle in %d passes" % (self.thread_name.replace("-", " "), max_passes))

    @staticmethod
    def _ignore_missing(func, *args, **kwargs):
        """Call ``func``; an object already gone (404) or changed meanwhile (409) is the next
        pass's business, as a controller's work queue would retry it."""
        from kubernetes.client.exceptions import ApiException

        try:
            return func(*args, **kwargs)
        except ApiException as exc:
            if exc.status not in (404, 409):
                raise
            return None


def api_client_of(api_client):
    """A kubernetes ApiClient from one, a callable returning one, or a kubeconfig path."""
    from kubernetes import config

    if isinstance(api_client, str):
        return config.new_client_from_config(config_file=api_client)
    if callable(api_client):
        return api_client()
    return api_client
