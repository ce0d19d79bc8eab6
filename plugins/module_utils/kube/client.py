# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""The connection to a Kubernetes API server: options, and the client built from them.

The options have kubernetes.core's names and ``K8S_AUTH_*`` environment
variables, so that a play written for kubernetes.core, or an AWX job with a
Kubernetes credential, needs nothing new. They fall back to the environment in
the argument spec itself (``env_fallback``), so validation and ``no_log`` see
the values whatever their source.

The ``kubernetes`` library is imported only when a task needs the API server
(``load()``): it costs about a third of a second, which a task that touches
only the OVN NB should not pay, and a host without it can still run such tasks.
"""

import copy
import hashlib
import json
import os
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.kubedc.network.plugins.module_utils.common.errors import (
    ConnectionFailed,
    InvalidInput,
    KubedcError,
    about,
)

KUBE_ARGUMENT_SPEC = dict(
    kubeconfig=dict(type="raw", fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG"])),
    context=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_CONTEXT"])),
    host=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_HOST"])),
    api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["K8S_AUTH_API_KEY"])),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"], fallback=(env_fallback, ["K8S_AUTH_SSL_CA_CERT"])),
    client_cert=dict(type="path", aliases=["cert_file"], fallback=(env_fallback, ["K8S_AUTH_CERT_FILE"])),
    client_key=dict(type="path", aliases=["key_file"], no_log=False, fallback=(env_fallback, ["K8S_AUTH_KEY_FILE"])),
    validate_certs=dict(type="bool", aliases=["verify_ssl"], fallback=(env_fallback, ["K8S_AUTH_VERIFY_SSL"])),
)
KUBE_OPTIONS = tuple(sorted(KUBE_ARGUMENT_SPEC))

# What a user is told to set when no connection is given.
HOW_TO_CONNECT = (
    "set kubeconfig (or context, for the default kubeconfig file), or host with api_key or a client "
    "certificate; the K8S_AUTH_* environment variables work too"
)

# kubernetes.client and kubernetes.config once load() imported them; None before, False if missing.
_LIB = {}
_CLIENTS = {}


class KubeError(KubedcError):
    """The API server answered with an error the user must act on (403, 422, ...)."""


class KubeNotFound(InvalidInput):
    """A named object (a pod, a Service) does not exist; names the option that named it."""


class KubeUnreachable(ConnectionFailed):
    """The API server could not be reached, or kept failing (429, 5xx) until retries ran out."""


class MissingLibrary(KubedcError):
    """The kubernetes Python library is needed and not installed."""


def load():
    """Import the kubernetes library; return ``(client, config)`` modules or raise MissingLibrary."""
    if "client" not in _LIB:
        try:
            from kubernetes import client as kube_client
            from kubernetes import config as kube_config

            _LIB.update(client=kube_client, config=kube_config, error=None)
        except ImportError:
            _LIB.update(client=None, config=None, error=traceback.format_exc())
    if _LIB["client"] is None:
        raise MissingLibrary(missing_required_lib("kubernetes"), exception=_LIB["error"])
    return _LIB["client"], _LIB["config"]


def has_kubernetes():
    """True if the kubernetes library can be imported (importing it if not done yet)."""
    try:
        load()
    except MissingLibrary:
        return False
    return True


def connection_params(params):
    """The Kubernetes options of a task's parameters (None for those not set)."""
    return dict((key, params.get(key)) for key in KUBE_OPTIONS)


def is_given(params):
    """True if a task gives any Kubernetes connection option (itself or through K8S_AUTH_*)."""
    return any(params.get(key) is not None for key in KUBE_OPTIONS)


def refuse_without_connection(params, item, field, value, what):
    """Fail a replay (network_info's) of a declaration that names a Kubernetes object,
    when the caller gave no Kubernetes options at all: say what was not checked.

    A module task always has the options (maybe unset), so it gets the ordinary
    "needs a connection" error from the client instead.
    """
    if any(key in params for key in KUBE_OPTIONS) or in_cluster():
        return
    with about(item["label"], item["name"]):
        raise KubedcError(
            "{0}: {1!r} is {2} only the Kubernetes API can tell, and no Kubernetes connection was "
            "given here; {3} not checked".format(field, value, *what),
            field=field, value=value,
        )


def in_cluster():
    """True when running in a pod, as the environment Kubernetes gives every container says."""
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST") and os.environ.get("KUBERNETES_SERVICE_PORT"))


def _kubeconfig_value(value):
    """A kubeconfig as a path or a dict; a JSON/YAML string of a dict (from a template) is parsed."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("kubeconfig", value, "is neither the path of a kubeconfig file nor a kubeconfig dict")
    if value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    path = os.path.expanduser(value)
    if not os.path.isfile(path):
        raise InvalidInput("kubeconfig", value, "is not a file")
    return path


def configuration(params, purpose=None):
    """A ``kubernetes.client.Configuration`` for the task's Kubernetes options.

    In order: a kubeconfig (file or dict, with ``context``); ``context`` alone
    (the default kubeconfig file); ``host`` with ``api_key`` or a client
    certificate; nothing at all, in a pod: the pod's service account. Options
    given next to a kubeconfig (``host``, ``api_key``, certificates,
    ``validate_certs``) override what it says. ``purpose`` names what needs
    the connection, for the error when there is none.
    """
    kube_client, kube_config = load()
    conf = kube_client.Configuration()
    kubeconfig = params.get("kubeconfig")
    context = params.get("context")
    try:
        if kubeconfig is not None:
            source = _kubeconfig_value(kubeconfig)
            if isinstance(source, dict):
                kube_config.load_kube_config_from_dict(source, context=context, client_configuration=conf, persist_config=False)
            else:
                kube_config.load_kube_config(config_file=source, context=context, client_configuration=conf, persist_config=False)
        elif context is not None:
            # Read KUBECONFIG now: the library reads it once, when it is imported.
            default = os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
            kube_config.load_kube_config(config_file=default, context=context, client_configuration=conf, persist_config=False)
        elif params.get("host") is None:
            if not in_cluster():
                raise KubedcError(
                    "{0} needs a connection to a Kubernetes API server: {1}".format(purpose or "this task", HOW_TO_CONNECT)
                )
            kube_config.load_incluster_config(client_configuration=conf)
    except (kube_config.ConfigException, ValueError, TypeError, KeyError, OSError) as exc:
        if kubeconfig is not None:
            field, value = "kubeconfig", kubeconfig if isinstance(kubeconfig, str) else "(a dict)"
        elif context is not None:
            field, value = "context", context
        else:
            field, value = "host", params.get("host")
        raise InvalidInput(field, value, "gives no usable Kubernetes connection: {0}".format(exc))
    _override(conf, params)
    return conf


def _override(conf, params):
    if params.get("host") is not None:
        conf.host = params["host"].rstrip("/")
    token = params.get("api_key")
    if token is not None:
        if token.lower().startswith("bearer "):
            token = token[len("bearer "):]
        # Recent clients look the token up as BearerToken, older ones as authorization.
        conf.api_key = {"BearerToken": "Bearer " + token, "authorization": "Bearer " + token}
        conf.api_key_prefix = {}
        conf.refresh_api_key_hook = None
    for option, attribute in (("ca_cert", "ssl_ca_cert"), ("client_cert", "cert_file"), ("client_key", "key_file")):
        if params.get(option) is not None:
            setattr(conf, attribute, params[option])
    if params.get("validate_certs") is not None:
        conf.verify_ssl = params["validate_certs"]


def _digest(params):
    values = connection_params(params)
    values["in_cluster"] = in_cluster() and not is_given(params)
    kubeconfig = values.get("kubeconfig")
    if isinstance(kubeconfig, str) and os.path.isfile(os.path.expanduser(kubeconfig)):
        # A kubeconfig file rewritten (a token rotated) makes another client.
        values["kubeconfig_mtime"] = os.stat(os.path.expanduser(kubeconfig)).st_mtime_ns
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def api_client(params, purpose=None):
    """A ``kubernetes.client.ApiClient`` for the task's options, one per distinct set of options.

    network_info replays many declarations in one run; they share the client.
    """
    key = _digest(params)
    if key not in _CLIENTS:
        kube_client = load()[0]
        _CLIENTS[key] = kube_client.ApiClient(configuration(copy.deepcopy(connection_params(params)), purpose))
    return _CLIENTS[key]
