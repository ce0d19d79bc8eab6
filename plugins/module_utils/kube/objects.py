# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""Reading and writing Kubernetes objects by kind, for the kube_dc platform.

``KubeObjects`` is the service layer between the platform's resources and the
API server (kubernetes.core keeps the same split: client, service, waiter):
get, create, merge-patch and delete one object by ``api_version``, plural and
name, each optionally as a server-side dry run (``dryRun=All``), which is how
check mode asks the server to validate (CRD schemas, CEL rules, webhooks)
without storing anything. Objects are plain JSON dicts; requests are retried
on 429 and 5xx, and the server's refusals (404, 409, 422) come back as
errors carrying the server's own message and status.
"""

import json

from ansible_collections.kubedc.network.plugins.module_utils.kube import client
from ansible_collections.kubedc.network.plugins.module_utils.kube.client import KubeError, KubeUnreachable
from ansible_collections.kubedc.network.plugins.module_utils.kube.service import (
    ENDPOINT_SLICES_API, ENDPOINT_SLICES_UNSERVED, REQUEST_TIMEOUT, SERVICE_NAME_LABEL, api_error, retry_after,
)
from ansible_collections.kubedc.network.plugins.module_utils.kube.waiter import Retry, retrying


class ApiRefused(KubeError):
    """The server refused a write (409 conflict, 422 invalid, webhook denial); ``status`` says which."""


def object_path(api_version, plural, namespace=None, name=None, subresource=None):
    """The REST path of a collection or an object: /api/v1/... or /apis/<group>/<version>/..."""
    base = "/api/v1" if api_version == "v1" else "/apis/" + api_version
    parts = [base]
    if namespace is not None:
        parts.append("namespaces/" + namespace)
    parts.append(plural)
    if name is not None:
        parts.append(name)
    if subresource is not None:
        parts.append(subresource)
    return "/".join(parts)


def describe_ref(api_version, kind, namespace, name):
    """How plans and errors name an object: ``kube-dc.com/v1 Project acme/prod``."""
    return "{0} {1} {2}".format(api_version, kind, "{0}/{1}".format(namespace, name) if namespace else name)


class KubeObjects(object):
    """Objects of the API server a task's Kubernetes options point at."""

    def __init__(self, params, purpose):
        self.params = client.connection_params(params)
        self.purpose = purpose
        self._api = None

    @property
    def api(self):
        if self._api is None:
            self._api = client.api_client(self.params, self.purpose)
        return self._api

    def request(self, method, path, body=None, query=None, content_type="application/json", allow_404=False):
        """JSON answer of one request, with retries; None for a 404 when ``allow_404``."""
        kube_client = client.load()[0]
        api = self.api
        host = api.configuration.host

        def attempt():
            try:
                data = _send(kube_client, api, method, path, body, query, content_type)
            except kube_client.exceptions.ApiException as exc:
                status = exc.status or 0
                if status == 404 and allow_404:
                    return None
                if status == 429 or status >= 500:
                    raise Retry(api_error(host, exc, self.purpose), retry_after(exc))
                if status in (409, 422, 400, 403):
                    raise ApiRefused(
                        "the Kubernetes API server refused to {0} ({1} {2}): {3}".format(
                            self.purpose, status, exc.reason, _message(exc)),
                        status=status, reason=_reason(exc), host=host,
                    )
                raise api_error(host, exc, self.purpose)
            except Exception as exc:  # pylint: disable=broad-except
                if type(exc).__module__.startswith("kubernetes"):
                    raise
                raise Retry(KubeUnreachable("cannot reach the Kubernetes API server at {0} ({1}): {2}".format(
                    host, self.purpose, getattr(exc, "reason", None) or exc), host=host))
            try:
                return json.loads(data) if data else {}
            except ValueError:
                raise KubeError("the Kubernetes API server at {0} answered with something other than JSON ({1})".format(
                    host, self.purpose), host=host)

        return retrying(attempt)

    # -- verbs ----------------------------------------------------------------

    def get(self, api_version, plural, namespace, name):
        return self.request("GET", object_path(api_version, plural, namespace, name), allow_404=True)

    def list(self, api_version, plural, namespace, label_selector=None, unserved=None):
        """The items of a collection (those matching ``label_selector``). Where the kind is not
        served: [], or the KubeError ``unserved`` says when that is given."""
        query = {"labelSelector": label_selector} if label_selector else None
        found = self.request("GET", object_path(api_version, plural, namespace), query=query, allow_404=True)
        if found is None and unserved:
            raise KubeError("{0} ({1}, at {2})".format(unserved, self.purpose, self.api.configuration.host))
        return (found or {}).get("items") or []

    def endpoint_slices(self, namespace, service):
        """The EndpointSlices of a Service, by the label Kubernetes gives them."""
        return self.list(ENDPOINT_SLICES_API, "endpointslices", namespace, SERVICE_NAME_LABEL + "=" + service,
                         unserved=ENDPOINT_SLICES_UNSERVED)

    def create(self, api_version, plural, namespace, body, dry_run=False):
        return self.request("POST", object_path(api_version, plural, namespace), body=body, query=_dry(dry_run))

    def merge_patch(self, api_version, plural, namespace, name, patch, dry_run=False):
        return self.request(
            "PATCH", object_path(api_version, plural, namespace, name), body=patch, query=_dry(dry_run),
            content_type="application/merge-patch+json",
        )

    def delete(self, api_version, plural, namespace, name, dry_run=False):
        """Delete; None if it was already gone."""
        return self.request("DELETE", object_path(api_version, plural, namespace, name), query=_dry(dry_run), allow_404=True)


def _send(kube_client, api, method, path, body, query, content_type):
    """One request through the library's ApiClient; the body of a 2xx answer, else ApiException.

    Clients generated before and after the library moved to openapi-generator 7
    split the work differently (``param_serialize`` + ``call_api(method, url)``
    against ``call_api(path, method, ...)``); both are served.
    """
    headers = {"Accept": "application/json", "Content-Type": content_type}
    queries = list((query or {}).items())
    if hasattr(api, "param_serialize"):
        method, url, headers, body, post = api.param_serialize(
            method=method, resource_path=path, query_params=queries, header_params=headers, body=body,
            auth_settings=["BearerToken"],
        )
        response = api.call_api(method, url, header_params=headers, body=body, post_params=post, _request_timeout=REQUEST_TIMEOUT)
        response.read()
        if not 200 <= response.status < 300:
            raise kube_client.exceptions.ApiException(http_resp=response)
        return response.data
    response = api.call_api(
        path, method, query_params=queries, header_params=headers, body=body, auth_settings=["BearerToken"],
        _preload_content=False, _request_timeout=REQUEST_TIMEOUT,
    )
    response = response[0] if isinstance(response, tuple) else response
    return response.data


def _dry(dry_run):
    return {"dryRun": "All"} if dry_run else {}


def _body(exc):
    try:
        body = json.loads(exc.body)
        return body if isinstance(body, dict) else {}
    except (TypeError, ValueError):
        return {}


def _message(exc):
    return _body(exc).get("message") or exc.reason or "no message"


def _reason(exc):
    return _body(exc).get("reason")
