# Copyright: (c) 2026, kubedc.network contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An HTTP-level Kubernetes API-server test double.

``KubeApiServer`` serves, on 127.0.0.1, the part of the kube-apiserver REST API
(shapes of Kubernetes 1.30) that the collection and its tests use, so that the
official ``kubernetes`` Python client -- typed APIs and ``DynamicClient`` --
talks to it as to a real server.  Everything is in memory; plain HTTP; an
optional bearer token (401 ``Status`` when it is wrong)::

    with KubeApiServer(token="t") as server:
        server.write_kubeconfig("/tmp/kubeconfig")
        ...

    python tools/kube_apiserver.py --port 6443 --kubeconfig /tmp/kc [--crd FILE]...

What it implements
------------------
* Discovery: ``/version``, ``/api``, ``/api/v1``, ``/apis``, ``/apis/<g>``,
  ``/apis/<g>/<v>`` (plain JSON forms; a client asking for aggregated discovery
  gets the plain form, which kubectl and the Python client accept).
* Built-in resources: core/v1 namespaces, pods (+status), services (+status),
  secrets, configmaps; apps/v1 deployments and statefulsets (+status, +scale),
  daemonsets (+status); discovery.k8s.io/v1 endpointslices;
  apiextensions.k8s.io/v1 customresourcedefinitions.  Light built-in
  validation and defaulting: names (RFC 1123 subdomain / label, RFC 1035 label
  for services), labels and annotations; pod specs -- volume names (a volume
  without a source is an emptyDir), containers (name, image, ports, env names,
  volume mounts), restartPolicy, readinessGates condition types -- and their
  defaults; pod spec immutability (except images, activeDeadlineSeconds,
  tolerations); service ports and protocols, ClusterIP/NodePort allocation and
  immutability, secret base64 data and stringData, immutable
  secrets/configmaps, endpoint slice address types.
* Workloads (Deployment, StatefulSet, DaemonSet): ``spec.selector`` required
  (a DaemonSet without one only fails to match), not empty, valid, immutable
  (a StatefulSet refuses every change outside replicas, ordinals, template,
  updateStrategy, persistentVolumeClaimRetentionPolicy and minReadySeconds) and
  selecting ``spec.template.metadata.labels``; the template's pod spec checked
  as a Pod's is (a StatefulSet's is not: the real server leaves it unchecked),
  with restartPolicy Always and no activeDeadlineSeconds; replicas,
  minReadySeconds, revisionHistoryLimit, progressDeadlineSeconds >= 0;
  strategy/updateStrategy types, rolling update bounds and partition; status
  counters.  Defaults: replicas 1 (Deployment, StatefulSet), strategy
  RollingUpdate with maxSurge/maxUnavailable 25% (Deployment), updateStrategy
  RollingUpdate with partition 0, podManagementPolicy OrderedReady,
  persistentVolumeClaimRetentionPolicy Retain (StatefulSet), RollingUpdate
  with maxUnavailable 1 and maxSurge 0 (DaemonSet), revisionHistoryLimit 10,
  progressDeadlineSeconds 600, the template's pod spec defaults; a DaemonSet's
  ``deprecated.daemonset.template.generation`` annotation (server-owned, one
  up per template change).  Status: reset on create, kept by main-resource
  writes.  Scale (autoscaling/v1 Scale: spec.replicas, status.replicas and
  the selector as a string): get, update, merge/JSON/strategic patches.
* CRDs: a CRD is Established at once and registers its served versions, scope,
  names (plural, singular, kind, listKind, shortNames, categories) and status
  subresource in discovery.  Custom objects are pruned (structural schema,
  ``x-kubernetes-preserve-unknown-fields``, ``additionalProperties``), defaulted
  (``default``, non-nullable nulls) and validated (type, properties, required,
  enum, pattern, format ipv4/ipv6/cidr/date-time/date/uuid/hostname, minimum,
  maximum, exclusive bounds, minLength, maxLength, minItems, maxItems,
  minProperties, maxProperties, items, additionalProperties, nullable,
  x-kubernetes-int-or-string) and against ``x-kubernetes-validations`` with a
  SMALL CEL subset: ``self``/``oldSelf`` and field selection, ``has()``,
  ``size()``, ``!``, ``&&``, ``||``, ``==``, ``!=``, ``<``, ``<=``, ``>``,
  ``>=``, parentheses and literals.  Transition rules (those naming
  ``oldSelf``) run only on updates where the old value exists.  A CRD whose
  rules use anything else is REFUSED with a 500 naming the rule, so nobody
  believes a rule is checked when it is not.  ``fieldValidation=Strict`` turns
  pruned unknown fields into a 400; otherwise they are dropped with a
  ``Warning`` header, like the real server.
* Verbs: create (201, 409 AlreadyExists, ``generateName``, 404 for a missing
  namespace), get (404 NotFound with details), list (``labelSelector`` with =,
  ==, !=, in, notin, exists, !exists; ``fieldSelector`` on metadata.name,
  metadata.namespace and per-kind fields such as pod status.phase; across
  namespaces), update (409 Conflict on a stale resourceVersion), patch
  (merge-patch+json per RFC 7386, json-patch+json per RFC 6902 including
  ``test``, strategic-merge-patch+json for built-ins with their patch merge
  keys -- lists without one, such as a PodSpec's readinessGates and
  tolerations, are replaced -- the real server's element order (what the
  patch adds to a list comes before what it had) and ``$patch``,
  ``$retainKeys``, ``$deleteFromPrimitiveList`` and ``$setElementOrder``
  directives, 415 for custom resources), server-side apply (below), delete
  (Status or the object as the real server returns it per kind; finalizers
  keep an object with a deletionTimestamp until they are removed;
  preconditions), deletecollection, ``dryRun=All`` on every write, the status
  subresource (its writes change only ``.status``; main-resource writes keep
  the old ``.status``), resourceVersion from one global counter (no-op writes
  keep it), uid, creationTimestamp, generation (custom objects, CRDs and
  workloads: 1 on create, bumped when anything outside metadata -- and
  status, with the status subresource -- changes), managedFields.
* Errors are Kubernetes ``Status`` objects: 400 BadRequest, 401, 404 NotFound,
  405 MethodNotAllowed, 409 AlreadyExists/Conflict, 415, 422 Invalid (with
  ``details.causes`` and real-server messages such as
  ``EIp.kube-dc.com "x" is invalid: spec: Invalid value: "object": ...``).

What it approximates
--------------------
* Server-side apply: field ownership is tracked per manager (and operation and
  subresource) as sets of leaf paths: maps are granular, lists are atomic
  except lists with a merge key (built-in patch merge keys, CRD
  ``x-kubernetes-list-type: map``, first key only for built-ins, e.g.
  service ports by ``port``), whose items are addressed as ``k:{...}``.
  Applying merges the configuration into the live object (keyed lists merged
  by key, other lists replaced), removes fields the manager applied before and
  no longer applies when nobody else owns them, and reports a 409 Conflict
  (causes ``FieldManagerConflict``) when another manager owns an overlapping
  path whose live value differs from the applied one, unless ``force=true``,
  which moves ownership.  Update/patch/create give the writing manager the
  changed paths and take them from the others.  Sets (``listType: set``),
  ``x-kubernetes-map-type``, unions and version conversion of managed fields
  are not modelled.
* Multiple CRD versions are served without conversion (strategy None: only
  apiVersion is rewritten).  Built-in objects are not pruned of unknown
  fields (a real server drops them silently).
* Namespace deletion is the namespace controller done at once: the namespace
  turns Terminating (new content is refused with 403), what it holds is
  deleted (objects with finalizers keep a deletionTimestamp until they are
  removed) and it goes when nothing is left. A CRD deletion removes its
  objects at once.
* No controllers run: a Deployment, StatefulSet or DaemonSet makes no
  ReplicaSet, Pod or ControllerRevision, and nothing writes its status or
  annotations (such as ``deployment.kubernetes.io/revision``) but a client
  writing them; a real cluster's kube-controller-manager does.  Deletion
  ignores ``propagationPolicy``: an object without finalizers goes at once.
* Workloads follow 1.30 where 1.20 differs: a DaemonSet's rollingUpdate gets
  maxSurge 0 (and exactly one of maxSurge/maxUnavailable must be non-zero), a
  StatefulSet gets persistentVolumeClaimRetentionPolicy, its name must be a
  DNS label and its update message names 1.30's updatable fields; errors a
  real server reports twice (1.20: a StatefulSet's negative replicas on
  update, a DaemonSet's spec errors on update) are reported once.  Values Go
  prints into messages (LabelSelector, IntOrString, maps) are rebuilt; a
  strategy struct holding a rollingUpdate shows a made-up pointer.  A pod
  template's metadata gets no ``creationTimestamp: null``, and a workload
  name that is not a DNS label gets no ``Warning`` (1.27+ sends one).
* A refused pod spec change says which fields may change but does not append
  the real server's diff of the PodSpec; toleration changes are not checked
  to be additions only.  Pod specs are not checked beyond the list above
  (probes, resources, security contexts, volume sources, ... are accepted).
* Scale writes are recorded in managedFields with subresource ``scale``; a
  scale cannot be server-side applied.
* Admission webhooks, RBAC, quotas, CEL beyond the subset above,
  ``x-kubernetes-list-type`` uniqueness, ``messageExpression``, CRD
  validation ratcheting (a real 1.30 server lets an update keep an unchanged
  value that no longer validates; the double rejects it) and validating
  admission policies are not implemented.

What it omits
-------------
Watch (405 MethodNotAllowed), pagination (``limit``/``continue`` are ignored and
no continue token is returned), protobuf/CBOR, table output, OpenAPI
documents, TLS, and every resource not listed above.
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime
import http.server
import ipaddress
import json
import re
import secrets
import signal
import socketserver
import sys
import threading
import urllib.parse
import uuid

import yaml

KUBE_VERSION = {
    "major": "1",
    "minor": "30",
    "gitVersion": "v1.30.0-kubedc-double",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-04-17T00:00:00Z",
    "goVersion": "go1.22.2",
    "compiler": "gc",
    "platform": "linux/amd64",
}

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
STATUS_VERBS = ["get", "patch", "update"]

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")

DNS1123_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
                     "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
                     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1123_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
                         "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
                         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
DNS1035_LABEL_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
                     "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
                     "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def go_quote(value):
    """A value the way Go's field errors print it (%q for strings, %v otherwise)."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# ---------------------------------------------------------------------------------------------------------------------
# Errors


class ApiError(Exception):
    """A failure answered as a Kubernetes Status object."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": self.message,
                "reason": self.reason, "code": self.code}
        if self.details is not None:
            body["details"] = self.details
        return body


class CelUnsupported(Exception):
    """A CEL rule outside the subset this double evaluates: refused loudly."""


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def _details(rt, name):
    details = {"name": name}
    if rt.group:
        details["group"] = rt.group
    details["kind"] = rt.plural
    return details


def not_found(rt, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (rt.group_resource, name), _details(rt, name))


def already_exists(rt, name):
    return ApiError(409, "AlreadyExists", '%s "%s" already exists' % (rt.group_resource, name), _details(rt, name))


def conflict(rt, name, why="the object has been modified; please apply your changes to the latest version and try again"):
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s' % (rt.group_resource, name, why),
                    _details(rt, name))


class FieldError:
    """One field.Error of the apimachinery validation package."""

    REASONS = {"Required": "FieldValueRequired", "NotSupported": "FieldValueNotSupported", "Invalid": "FieldValueInvalid",
               "TooLong": "FieldValueTooLong", "TooMany": "FieldValueTooMany", "Forbidden": "FieldValueForbidden",
               "Duplicate": "FieldValueDuplicate", "NotFound": "FieldValueNotFound"}

    def __init__(self, kind, field, value=None, detail="", shown=None):
        self.kind = kind
        self.field = field
        self.value = value
        self.detail = detail
        self.shown = shown  # the value as printed, when not the value itself (CEL shows the type name)

    def body(self):
        shown = self.shown if self.shown is not None else go_quote(self.value)
        if self.kind == "Required":
            text = "Required value"
            return text + (": " + self.detail if self.detail else "")
        if self.kind == "NotSupported":
            return "Unsupported value: %s: supported values: %s" % (shown, ", ".join(go_quote(v) for v in self.detail))
        if self.kind == "Invalid":
            return "Invalid value: %s" % shown + (": " + self.detail if self.detail else "")
        if self.kind == "TooLong":
            return "Too long: may not be longer than %d" % self.detail
        if self.kind == "TooMany":
            return "Too many: %s: must have at most %d items" % (shown, self.detail)
        if self.kind == "Forbidden":
            return "Forbidden: " + self.detail
        if self.kind == "Duplicate":
            return "Duplicate value: %s" % shown
        if self.kind == "NotFound":
            return "Not found: %s" % shown
        raise AssertionError(self.kind)

    def error(self):
        return "%s: %s" % (self.field, self.body()) if self.field else self.body()

    def cause(self):
        return {"reason": self.REASONS[self.kind], "message": self.body(), "field": self.field}


def invalid(rt, name, errors):
    """422 Invalid as apierrors.NewInvalid builds it."""
    texts = [e.error() for e in errors]
    message = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details = {"name": name}
    if rt.group:
        details["group"] = rt.group
    details["kind"] = rt.kind
    details["causes"] = [e.cause() for e in errors]
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (rt.group_kind, name, message), details)


# ---------------------------------------------------------------------------------------------------------------------
# Selectors


def _split_top(text, sep=","):
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def parse_label_selector(text):
    """Requirements (key, op, values) of a labelSelector string."""
    reqs = []
    for part in _split_top(text or ""):
        m = re.fullmatch(r"([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)", part)
        if m:
            values = [v.strip() for v in m.group(3).split(",") if v.strip()]
            reqs.append((m.group(1), m.group(2), values))
            continue
        m = re.fullmatch(r"([^\s!=()]+)\s*(==|=|!=)\s*([^\s,()]*)", part)
        if m:
            reqs.append((m.group(1), "!=" if m.group(2) == "!=" else "=", [m.group(3)]))
            continue
        m = re.fullmatch(r"(!?)\s*([^\s!=()]+)", part)
        if m:
            reqs.append((m.group(2), "!" if m.group(1) else "exists", []))
            continue
        raise bad_request("unable to parse requirement: found '%s', expected: identifier" % part)
    for key, _op, values in reqs:
        _check_label_key(key)
        for value in values:
            if len(value) > 63 or not LABEL_VALUE.match(value):
                raise bad_request('unable to parse requirement: values[0][%s]: Invalid value: "%s": a valid label must be '
                                  "an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
                                  "and end with an alphanumeric character" % (key, value))
    return reqs


def _check_label_key(key):
    prefix, _sep, name = key.rpartition("/")
    if (prefix and not DNS1123_SUBDOMAIN.match(prefix)) or len(name) > 63 or not QUALIFIED_NAME.match(name):
        raise bad_request('unable to parse requirement: key: Invalid value: "%s": name part must consist of alphanumeric '
                          "characters, '-', '_' or '.', and must start and end with an alphanumeric character" % key)


def labels_match(reqs, labels):
    labels = labels or {}
    for key, op, values in reqs:
        present = key in labels
        value = labels.get(key)
        if op == "=" and not (present and value == values[0]):
            return False
        if op == "!=" and present and value == values[0]:
            return False
        if op == "in" and not (present and value in values):
            return False
        if op == "notin" and present and value in values:
            return False
        if op == "exists" and not present:
            return False
        if op == "!" and present:
            return False
    return True


def parse_field_selector(text, rt):
    reqs = []
    for part in _split_top(text or ""):
        m = re.fullmatch(r"([^\s!=]+)\s*(==|=|!=)\s*(.*)", part)
        if not m:
            raise bad_request("invalid selector: '%s'; can't understand '%s'" % (text, part))
        field = m.group(1)
        if field not in rt.field_selectors:
            if rt.crd_name:
                raise bad_request('"%s" is not a known field selector: only "metadata.name", "metadata.namespace"' % field)
            raise bad_request('field label not supported: %s' % field)
        reqs.append((field, m.group(2) != "!=", m.group(3).strip()))
    return reqs


def _field_value(obj, dotted):
    cur = obj
    for part in dotted.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def fields_match(reqs, obj):
    return all((_field_value(obj, field) == value) == equal for field, equal, value in reqs)


# ---------------------------------------------------------------------------------------------------------------------
# Patches


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class PatchFailed(Exception):
    pass


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchFailed('JSON pointer "%s" must start with "/"' % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc, tokens, path):
    cur = doc
    for tok in tokens:
        if isinstance(cur, dict):
            if tok not in cur:
                raise PatchFailed('doc is missing path: "%s": missing value' % path)
            cur = cur[tok]
        elif isinstance(cur, list):
            try:
                index = int(tok)
            except ValueError:
                raise PatchFailed('doc is missing path: "%s": invalid index' % path) from None
            if not 0 <= index < len(cur):
                raise PatchFailed('doc is missing path: "%s": index out of range' % path)
            cur = cur[index]
        else:
            raise PatchFailed('doc is missing path: "%s": missing value' % path)
    return cur


def _jp_add(doc, tokens, value, path, replace=False):
    if not tokens:
        return copy.deepcopy(value)
    parent = _resolve(doc, tokens[:-1], path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchFailed('replace operation does not apply: doc is missing key: %s: missing value' % path)
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(copy.deepcopy(value))
            return doc
        try:
            index = int(last)
        except ValueError:
            raise PatchFailed('doc is missing path: "%s": invalid index' % path) from None
        if replace:
            if not 0 <= index < len(parent):
                raise PatchFailed('replace operation does not apply: doc is missing key: %s: missing value' % path)
            parent[index] = copy.deepcopy(value)
        else:
            if not 0 <= index <= len(parent):
                raise PatchFailed('add operation does not apply: doc is missing path: "%s": missing value' % path)
            parent.insert(index, copy.deepcopy(value))
    else:
        raise PatchFailed('doc is missing path: "%s": missing value' % path)
    return doc


def _jp_remove(doc, tokens, path):
    if not tokens:
        raise PatchFailed("unable to remove the whole document")
    parent = _resolve(doc, tokens[:-1], path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchFailed('remove operation does not apply: doc is missing path: "%s": missing value' % path)
        return parent.pop(last)
    if isinstance(parent, list):
        try:
            index = int(last)
        except ValueError:
            raise PatchFailed('doc is missing path: "%s": invalid index' % path) from None
        if not 0 <= index < len(parent):
            raise PatchFailed('remove operation does not apply: doc is missing path: "%s": missing value' % path)
        return parent.pop(index)
    raise PatchFailed('remove operation does not apply: doc is missing path: "%s": missing value' % path)


def json_patch(doc, ops):
    """RFC 6902 JSON patch; PatchFailed when an operation does not apply."""
    doc = copy.deepcopy(doc)
    for op in ops:
        name = op.get("op")
        path = op.get("path")
        if not isinstance(path, str):
            raise PatchFailed("operation missing path")
        tokens = _pointer(path)
        if name == "add":
            if "value" not in op:
                raise PatchFailed("add operation missing value")
            doc = _jp_add(doc, tokens, op["value"], path)
        elif name == "remove":
            _jp_remove(doc, tokens, path)
        elif name == "replace":
            if "value" not in op:
                raise PatchFailed("replace operation missing value")
            doc = _jp_add(doc, tokens, op["value"], path, replace=True)
        elif name in ("move", "copy"):
            source = op.get("from")
            if not isinstance(source, str):
                raise PatchFailed("%s operation missing from" % name)
            from_tokens = _pointer(source)
            if name == "move":
                value = _jp_remove(doc, from_tokens, source)
            else:
                value = copy.deepcopy(_resolve(doc, from_tokens, source))
            doc = _jp_add(doc, tokens, value, path)
        elif name == "test":
            try:
                current = _resolve(doc, tokens, path)
            except PatchFailed:
                current = None
            if current != op.get("value"):
                raise PatchFailed("testing value %s failed: test failed" % path)
        else:
            raise PatchFailed("Unexpected kind: %s" % name)
    return doc


RETAIN_KEYS_ERROR = "invalid patch format of retainKeys"


def strategic_merge(original, patch, merge_keys, path=()):
    """Strategic merge patch for built-in types; ``merge_keys`` maps a path (list items as "[]") to its patchMergeKey
    ("" for a merged list of primitives). Directives: ``$patch`` (replace, delete), ``$retainKeys``,
    ``$deleteFromPrimitiveList/<field>`` and ``$setElementOrder/<field>``."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = copy.deepcopy(original) if isinstance(original, dict) else {}
    if "$retainKeys" in patch:
        # Every field the patch sets must be retained; the live fields not retained are cleared (a union's old member).
        retain = patch["$retainKeys"]
        if not isinstance(retain, list) or any(value is not None and not key.startswith("$") and key not in retain
                                               for key, value in patch.items()):
            raise bad_request(RETAIN_KEYS_ERROR)
        result = {k: v for k, v in result.items() if k in retain}
    orders = {key.split("/", 1)[1]: value for key, value in patch.items() if key.startswith("$setElementOrder/")}
    for key, value in patch.items():
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list):
                result[field] = [item for item in result[field] if item not in (value or [])]
            continue
        if key.startswith("$"):
            continue
        sub = path + (key,)
        if value is None or (isinstance(value, dict) and value.get("$patch") == "delete"):
            result.pop(key, None)
        elif isinstance(value, dict):
            result[key] = strategic_merge(result.get(key), value, merge_keys, sub)
        elif isinstance(value, list) and sub in merge_keys:
            result[key] = _merge_list(result.get(key), value, merge_keys, sub, orders.get(key))
        else:
            result[key] = copy.deepcopy(value)
    for key, order in orders.items():  # an order for a list the patch leaves alone reorders the live list
        if key not in patch and isinstance(result.get(key), list) and isinstance(order, list) and path + (key,) in merge_keys:
            result[key] = _reorder(result[key], order, result[key], merge_keys[path + (key,)])
    return result


def _index(items, item, key):
    """Where ``item`` is in ``items``: by its merge key, or by value for primitives (-1 when absent)."""
    for position, cur in enumerate(items):
        if (isinstance(cur, dict) and isinstance(item, dict) and cur.get(key) == item.get(key)) if key else cur == item:
            return position
    return -1


def _reorder(merged, order, server_order, key):
    """The element order of a merged list, as the real server makes it: the items named by ``order`` (the patch
    list, or a $setElementOrder list) in that order, and the other items in their live order, interleaved where
    the live order puts them before an ordered item; an item new to the list goes before the live items."""
    def ranked(items, by):
        return sorted(items, key=lambda item: _index(by, item, key) if _index(by, item, key) >= 0 else len(by))
    listed = ranked([item for item in merged if _index(order, item, key) >= 0], order)
    server_only = ranked([item for item in merged if _index(order, item, key) < 0], server_order)
    out, i, j = [], 0, 0
    while i < len(server_only) or j < len(listed):
        if j >= len(listed):
            out.append(server_only[i])
            i += 1
        elif i >= len(server_only):
            out.append(listed[j])
            j += 1
        else:
            left, right = _index(server_order, server_only[i], key), _index(server_order, listed[j], key)
            if 0 <= left < right:
                out.append(server_only[i])
                i += 1
            else:
                out.append(listed[j])
                j += 1
    return out


def _merge_list(original, patch, merge_keys, path, order=None):
    original = copy.deepcopy(original) if isinstance(original, list) else []
    key = merge_keys[path]
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [copy.deepcopy(item) for item in patch if not (isinstance(item, dict) and "$patch" in item)]
    if key == "":
        merged = []
        for item in original + patch:
            if item not in merged:
                merged.append(copy.deepcopy(item))
        result = _reorder(merged, patch, original, key)
    else:
        for item in patch:
            if not isinstance(item, dict) or key not in item:
                raise bad_request("map: %s does not contain declared merge key: %s" % (go_quote(item), key))
        deleted = [item for item in patch if item.get("$patch") == "delete"]
        original = [cur for cur in original if _index(deleted, cur, key) < 0]
        patch = [item for item in patch if item.get("$patch") != "delete"]
        merged = copy.deepcopy(original)
        for item in patch:
            index = _index(merged, item, key)
            if index < 0:
                merged.append(strategic_merge({}, item, merge_keys, path + ("[]",)))
            else:
                merged[index] = strategic_merge(merged[index], item, merge_keys, path + ("[]",))
        result = _reorder(merged, patch, original, key)
    if isinstance(order, list):
        result = _reorder(result, order, original, key)
    return result


# ---------------------------------------------------------------------------------------------------------------------
# Managed fields and server-side apply (see the module docstring for what is approximated)
#
# A field path is a tuple of "f:<field>" and "k:{<key json>}" elements, as in fieldsV1.

METADATA_OWNED = ("labels", "annotations", "finalizers", "ownerReferences")


def _item_key(item, keys):
    return "k:" + json.dumps({k: item[k] for k in keys}, separators=(",", ":"), sort_keys=True)


def _keyed(value, keys):
    return bool(keys) and isinstance(value, list) and all(isinstance(i, dict) and all(k in i for k in keys) for i in value)


def _leaves(value, path, spath, rt, out):
    keys = rt.list_keys(spath) if isinstance(value, list) else None
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            _leaves(sub, path + ("f:" + key,), spath + (key,), rt, out)
    elif value and _keyed(value, keys):
        for item in value:
            item_path = path + (_item_key(item, keys),)
            out.add(item_path)
            _leaves(item, item_path, spath + ("[]",), rt, out)
    else:
        out.add(path)


def owned_paths(obj, rt, subresource):
    """The leaf paths a write of ``obj`` sets, for the main resource or the status subresource."""
    out = set()
    if subresource == "status":
        if "status" in obj:
            _leaves(obj["status"], ("f:status",), ("status",), rt, out)
        return out
    for key, value in obj.items():
        if key in ("apiVersion", "kind") or (key == "status" and rt.status_subresource):
            continue
        if key == "metadata":
            for mkey in METADATA_OWNED:
                if mkey in (value or {}):
                    _leaves(value[mkey], ("f:metadata", "f:" + mkey), ("metadata", mkey), rt, out)
        else:
            _leaves(value, ("f:" + key,), (key,), rt, out)
    return out


def value_at(obj, path):
    cur = obj
    for element in path:
        if element.startswith("f:"):
            if not isinstance(cur, dict) or element[2:] not in cur:
                return False, None
            cur = cur[element[2:]]
        else:
            want = json.loads(element[2:])
            if not isinstance(cur, list):
                return False, None
            cur = next((i for i in cur if isinstance(i, dict) and all(i.get(k) == v for k, v in want.items())), None)
            if cur is None:
                return False, None
    return True, cur


def delete_at(obj, path):
    found, parent = value_at(obj, path[:-1])
    if not found:
        return
    last = path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith("k:") and isinstance(parent, list):
        want = json.loads(last[2:])
        parent[:] = [i for i in parent if not (isinstance(i, dict) and all(i.get(k) == v for k, v in want.items()))]


def overlaps(p, q):
    """Whether owning q makes p contested: same path, or an atomic ("f:") ancestor of the other."""
    if p == q:
        return True
    if len(q) < len(p):
        return p[:len(q)] == q and q[-1].startswith("f:")
    return q[:len(p)] == p and p[-1].startswith("f:")


def fields_v1(paths):
    tree = {}
    for path in sorted(paths, key=len):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    for path in paths:  # a path that is also a parent of others is marked with "."
        node = tree
        for element in path:
            node = node[element]
        if node and "." not in node:
            node["."] = {}
    return tree


def paths_from_fields_v1(tree, prefix=()):
    out = set()
    for element, sub in (tree or {}).items():
        if element == ".":
            continue
        path = prefix + (element,)
        if not sub or "." in sub:
            out.add(path)
        out |= paths_from_fields_v1(sub, path)
    return out


def read_managed(obj):
    entries = []
    for entry in obj.get("metadata", {}).get("managedFields") or []:
        entries.append({"manager": entry.get("manager", ""), "operation": entry.get("operation", "Update"),
                        "subresource": entry.get("subresource", ""), "apiVersion": entry.get("apiVersion", ""),
                        "time": entry.get("time"), "fields": paths_from_fields_v1(entry.get("fieldsV1"))})
    return entries


def write_managed(obj, entries):
    out = []
    for entry in entries:
        if not entry["fields"]:
            continue
        item = {"manager": entry["manager"], "operation": entry["operation"], "apiVersion": entry["apiVersion"],
                "time": entry["time"], "fieldsType": "FieldsV1", "fieldsV1": fields_v1(entry["fields"])}
        if entry["subresource"]:
            item["subresource"] = entry["subresource"]
        out.append(item)
    if out:
        obj["metadata"]["managedFields"] = out
    else:
        obj["metadata"].pop("managedFields", None)


def apply_merge(live, config, rt, spath=()):
    """The applied configuration merged into the live value: maps by field, keyed lists by key, the rest replaced."""
    if isinstance(config, dict):
        result = copy.deepcopy(live) if isinstance(live, dict) else {}
        for key, value in config.items():
            if value is None:
                result.pop(key, None)
            else:
                result[key] = apply_merge(result.get(key), value, rt, spath + (key,))
        return result
    if isinstance(config, list):
        keys = rt.list_keys(spath)
        if _keyed(config, keys) and _keyed(live, keys):
            result = copy.deepcopy(live)
            for item in config:
                key = _item_key(item, keys)
                index = next((i for i, cur in enumerate(result) if _item_key(cur, keys) == key), None)
                if index is None:
                    result.append(copy.deepcopy(item))
                else:
                    result[index] = apply_merge(result[index], item, rt, spath + ("[]",))
            return result
    return copy.deepcopy(config)


def _path_text(path):
    """A field path as the real server prints it: .spec.containers[name="web"].image."""
    text = ""
    for element in path:
        if element.startswith("f:"):
            text += "." + element[2:]
        else:
            key = json.loads(element[2:])
            text += "[%s]" % ",".join("%s=%s" % (k, json.dumps(key[k])) for k in sorted(key))
    return text


# ---------------------------------------------------------------------------------------------------------------------
# CEL: a small subset, refused loudly beyond it

_CEL_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|"
                        r"(?P<op>&&|\|\||==|!=|<=|>=|[<>!().])|(?P<id>[A-Za-z_][A-Za-z0-9_]*))")
_CEL_CACHE = {}


class _CelError(Exception):
    """A CEL runtime error (such as a missing key): the rule fails with it."""


def _cel_tokens(rule):
    pos, out = 0, []
    rule = rule.strip()
    while pos < len(rule):
        m = _CEL_TOKEN.match(rule, pos)
        if not m or m.end() == pos:
            raise CelUnsupported("unsupported CEL syntax at %r in rule %r" % (rule[pos:], rule))
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(rule) and rule[pos].isspace():
            pos += 1
    return out


class _CelParser:
    def __init__(self, rule):
        self.rule = rule
        self.tokens = _cel_tokens(rule)
        self.pos = 0

    def fail(self, why):
        raise CelUnsupported("CEL rule %r is outside the subset tools/kube_apiserver.py evaluates (%s)" % (self.rule, why))

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self, value=None):
        token = self.peek()
        if token[0] is None or (value is not None and token[1] != value):
            self.fail("expected %r" % value if value else "unexpected end")
        self.pos += 1
        return token

    def parse(self):
        tree = self.expr()
        if self.pos != len(self.tokens):
            self.fail("unexpected %r" % (self.peek()[1],))
        return tree

    def expr(self):
        left = self.conj()
        while self.peek()[1] == "||":
            self.take()
            left = ("or", left, self.conj())
        return left

    def conj(self):
        left = self.comparison()
        while self.peek()[1] == "&&":
            self.take()
            left = ("and", left, self.comparison())
        return left

    def comparison(self):
        left = self.unary()
        if self.peek()[1] in ("==", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            left = ("cmp", op, left, self.unary())
            if self.peek()[1] in ("==", "!=", "<", "<=", ">", ">="):
                self.fail("chained comparison")
        return left

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            return ("not", self.unary())
        return self.primary()

    def primary(self):
        kind, value = self.take()
        if value == "(" and kind == "op":
            inner = self.expr()
            self.take(")")
            return inner
        if kind == "num":
            return ("lit", float(value) if "." in value else int(value))
        if kind == "str":
            return ("lit", json.loads('"' + value[1:-1].replace('"', '\\"') + '"') if value[0] == "'" else json.loads(value))
        if kind == "id" and value in ("true", "false", "null"):
            return ("lit", {"true": True, "false": False, "null": None}[value])
        if kind == "id" and value in ("has", "size"):
            self.take("(")
            arg = self.expr()
            self.take(")")
            if value == "has":
                if arg[0] != "sel":
                    self.fail("has() needs a field selection")
                return ("has", arg)
            return ("size", arg)
        if kind == "id" and value in ("self", "oldSelf"):
            node = ("var", value)
            while self.peek()[1] == ".":
                self.take()
                field_kind, field = self.take()
                if field_kind != "id":
                    self.fail("field name expected")
                if self.peek()[1] == "(":
                    self.fail("method call %s()" % field)
                node = ("sel", node, field)
            return node
        return self.fail("%r" % value)


def compile_cel(rule):
    if rule not in _CEL_CACHE:
        _CEL_CACHE[rule] = _CelParser(rule).parse()
    return _CEL_CACHE[rule]


def _cel_uses_old(tree):
    if tree == ("var", "oldSelf"):
        return True
    return any(_cel_uses_old(part) for part in tree[1:] if isinstance(part, tuple))


def _cel_eval(tree, env):
    kind = tree[0]
    if kind == "lit":
        return tree[1]
    if kind == "var":
        return env[tree[1]]
    if kind == "sel":
        base = _cel_eval(tree[1], env)
        if not isinstance(base, dict) or tree[2] not in base:
            raise _CelError("no such key: %s" % tree[2])
        return base[tree[2]]
    if kind == "has":
        base = _cel_eval(tree[1][1], env)
        if not isinstance(base, dict):
            raise _CelError("invalid type for field selection.")
        return tree[1][2] in base
    if kind == "size":
        value = _cel_eval(tree[1], env)
        if isinstance(value, (str, list, dict)):
            return len(value)
        raise _CelError("no such overload: size")
    if kind == "not":
        value = _cel_eval(tree[1], env)
        if not isinstance(value, bool):
            raise _CelError("no such overload: !")
        return not value
    if kind in ("and", "or"):
        results = []
        for side in tree[1:]:
            try:
                value = _cel_eval(side, env)
            except _CelError as exc:
                results.append(exc)
                continue
            if not isinstance(value, bool):
                results.append(_CelError("no matching overload for '%s'" % ("_&&_" if kind == "and" else "_||_")))
                continue
            if value is (kind == "or"):
                return value  # short circuit absorbs errors on the other side, as CEL does
            results.append(value)
        for value in results:
            if isinstance(value, _CelError):
                raise value
        return kind == "and"
    if kind == "cmp":
        op, left, right = tree[1], _cel_eval(tree[2], env), _cel_eval(tree[3], env)
        if op == "==":
            return left == right and type_name(left) == type_name(right)
        if op == "!=":
            return not (left == right and type_name(left) == type_name(right))
        if type_name(left) != type_name(right) or type_name(left) not in ("integer", "number", "string"):
            raise _CelError("no such overload: %s" % op)
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    raise AssertionError(kind)


def compile_schema_rules(schema, where="openAPIV3Schema"):
    """Compiles every x-kubernetes-validations rule of a schema; CelUnsupported names the first it cannot check."""
    if not isinstance(schema, dict):
        return
    for index, rule in enumerate(schema.get("x-kubernetes-validations") or []):
        if rule.get("messageExpression"):
            raise CelUnsupported("%s.x-kubernetes-validations[%d]: messageExpression is not evaluated by the double" % (where, index))
        if rule.get("optionalOldSelf"):
            raise CelUnsupported("%s.x-kubernetes-validations[%d]: optionalOldSelf is not evaluated by the double" % (where, index))
        compile_cel(rule.get("rule", ""))
    for key, sub in (schema.get("properties") or {}).items():
        compile_schema_rules(sub, where + ".properties." + key)
    if isinstance(schema.get("items"), dict):
        compile_schema_rules(schema["items"], where + ".items")
    if isinstance(schema.get("additionalProperties"), dict):
        compile_schema_rules(schema["additionalProperties"], where + ".additionalProperties")


# ---------------------------------------------------------------------------------------------------------------------
# Structural schemas: pruning, defaulting, validation


def _join(path, key):
    return key if not path else path + "." + key


def prune(value, schema, path, unknown):
    """Drops fields the schema does not specify, recording their paths in ``unknown``."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        addl = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields") or schema.get("x-kubernetes-embedded-resource")
        for key in list(value):
            if not path and key in ("apiVersion", "kind", "metadata"):
                continue  # the object's own metadata is not pruned by the schema
            if key in props:
                value[key] = prune(value[key], props[key], _join(path, key), unknown)
            elif isinstance(addl, dict):
                value[key] = prune(value[key], addl, _join(path, key), unknown)
            elif not (preserve or addl is True):
                unknown.append(_join(path, key))
                del value[key]
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            value[index] = prune(item, schema["items"], "%s[%d]" % (path, index), unknown)
    return value


def apply_defaults(value, schema):
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key, sub in props.items():
            if key == "metadata" and "apiVersion" in value and "kind" in value:
                continue
            if key in value and value[key] is None and not sub.get("nullable"):
                del value[key]  # non-nullable nulls are pruned, then defaulted
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                value[key] = apply_defaults(value[key], sub)
        if isinstance(schema.get("additionalProperties"), dict):
            for key in value:
                if key not in props:
                    value[key] = apply_defaults(value[key], schema["additionalProperties"])
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            value[index] = apply_defaults(item, schema["items"])
    return value


def _is_ip(text, version):
    try:
        return ipaddress.ip_address(text).version == version and "/" not in text
    except ValueError:
        return False


def _is_cidr(text):
    try:
        ipaddress.ip_network(text, strict=False)
        return "/" in text
    except ValueError:
        return False


_FORMAT_CHECKS = {
    "ipv4": lambda v: _is_ip(v, 4),
    "ipv6": lambda v: _is_ip(v, 6),
    "cidr": _is_cidr,
    "date-time": lambda v: re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", v) is not None,
    "datetime": lambda v: re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", v) is not None,
    "date": lambda v: re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) is not None,
    "uuid": lambda v: re.fullmatch(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}", v) is not None,
    "hostname": lambda v: len(v) <= 253 and DNS1123_SUBDOMAIN.match(v.lower()) is not None,
}


def _type_ok(value, wanted):
    if wanted == "object":
        return isinstance(value, dict)
    if wanted == "array":
        return isinstance(value, list)
    if wanted == "string":
        return isinstance(value, str)
    if wanted == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if wanted == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if wanted == "boolean":
        return isinstance(value, bool)
    return True


def validate_schema(value, schema, path, errors):
    if not isinstance(schema, dict):
        return
    if value is None:
        if not schema.get("nullable"):
            errors.append(FieldError("Invalid", path, shown='"null"',
                                     detail='%s in body must be of type %s: "null"' % (path, schema.get("type", "object"))))
        return
    wanted = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        if not (isinstance(value, str) or _type_ok(value, "integer")):
            errors.append(FieldError("Invalid", path, shown=json.dumps(type_name(value)),
                                     detail='%s in body must be of type int-or-string: "%s"' % (path, type_name(value))))
            return
    elif wanted and not _type_ok(value, wanted):
        errors.append(FieldError("Invalid", path, shown=json.dumps(type_name(value)),
                                 detail='%s in body must be of type %s: "%s"' % (path, wanted, type_name(value))))
        return
    if isinstance(value, dict):
        for key in schema.get("required") or []:
            if key not in value:
                errors.append(FieldError("Required", _join(path, key)))
        props = schema.get("properties") or {}
        addl = schema.get("additionalProperties")
        for key, sub in value.items():
            if key in props:
                if path or key not in ("apiVersion", "kind", "metadata"):
                    validate_schema(sub, props[key], _join(path, key), errors)
            elif isinstance(addl, dict):
                validate_schema(sub, addl, _join(path, key), errors)
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            errors.append(FieldError("Invalid", path, len(value),
                                     "%s in body should have at least %d properties" % (path, schema["minProperties"])))
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            errors.append(FieldError("TooMany", path, len(value), schema["maxProperties"]))
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(FieldError("Invalid", path, len(value), "%s in body should have at least %d items" % (path, schema["minItems"])))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(FieldError("TooMany", path, len(value), schema["maxItems"]))
        for index, item in enumerate(value):
            validate_schema(item, schema.get("items"), "%s[%d]" % (path, index), errors)
    if "enum" in schema and value not in schema["enum"]:
        errors.append(FieldError("NotSupported", path, value, schema["enum"]))
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(FieldError("TooLong", path, value, schema["maxLength"]))
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(FieldError("Invalid", path, value, "%s in body should be at least %d chars long" % (path, schema["minLength"])))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(FieldError("Invalid", path, value, "%s in body should match '%s'" % (path, schema["pattern"])))
        check = _FORMAT_CHECKS.get(schema.get("format"))
        if check and not check(value):
            errors.append(FieldError("Invalid", path, value, '%s in body must be of type %s: %s' % (path, schema["format"], json.dumps(value))))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema:
            if schema.get("exclusiveMinimum") and value <= schema["minimum"]:
                errors.append(FieldError("Invalid", path, value, "%s in body should be greater than %s" % (path, schema["minimum"])))
            elif value < schema["minimum"]:
                errors.append(FieldError("Invalid", path, value,
                                         "%s in body should be greater than or equal to %s" % (path, schema["minimum"])))
        if "maximum" in schema:
            if schema.get("exclusiveMaximum") and value >= schema["maximum"]:
                errors.append(FieldError("Invalid", path, value, "%s in body should be less than %s" % (path, schema["maximum"])))
            elif value > schema["maximum"]:
                errors.append(FieldError("Invalid", path, value, "%s in body should be less than or equal to %s" % (path, schema["maximum"])))


_CEL_REASONS = {None: "Invalid", "FieldValueInvalid": "Invalid", "FieldValueForbidden": "Forbidden",
                "FieldValueRequired": "Required", "FieldValueDuplicate": "Duplicate"}


def _list_map_keys(schema):
    if schema.get("x-kubernetes-list-type") == "map":
        return schema.get("x-kubernetes-list-map-keys") or None
    return None


def validate_cel(value, old, has_old, schema, path, errors):
    """x-kubernetes-validations of the schema and its children; transition rules only where an old value exists."""
    if not isinstance(schema, dict) or value is None:
        return
    for rule in schema.get("x-kubernetes-validations") or []:
        tree = compile_cel(rule["rule"])
        if _cel_uses_old(tree) and not has_old:
            continue
        try:
            ok = _cel_eval(tree, {"self": value, "oldSelf": old})
            failure = None if ok is True else rule.get("message") or "failed rule: %s" % rule["rule"]
        except _CelError as exc:
            failure = "%s evaluating rule: %s" % (exc, rule["rule"])
        if failure is not None:
            field = path
            if rule.get("fieldPath"):
                field = path + (rule["fieldPath"] if path else rule["fieldPath"].lstrip("."))
            kind = _CEL_REASONS.get(rule.get("reason"), "Invalid")
            if kind == "Invalid":
                errors.append(FieldError("Invalid", field, shown=json.dumps(schema.get("type") or type_name(value)), detail=failure))
            elif kind == "Duplicate":
                errors.append(FieldError("Duplicate", field, shown=json.dumps(failure)))
            else:
                errors.append(FieldError(kind, field, detail=failure))
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        addl = schema.get("additionalProperties")
        for key, sub in value.items():
            child = props.get(key) if key in props else (addl if isinstance(addl, dict) else None)
            if child is None or (not path and key in ("apiVersion", "kind", "metadata")):
                continue
            child_has_old = has_old and isinstance(old, dict) and key in old
            validate_cel(sub, old.get(key) if child_has_old else None, child_has_old, child, _join(path, key), errors)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        keys = _list_map_keys(schema)
        for index, item in enumerate(value):
            old_item, item_has_old = None, False
            if keys and has_old and isinstance(old, list) and isinstance(item, dict):
                for candidate in old:
                    if isinstance(candidate, dict) and all(candidate.get(k) == item.get(k) for k in keys):
                        old_item, item_has_old = candidate, True
                        break
            validate_cel(item, old_item, item_has_old, schema["items"], "%s[%d]" % (path, index), errors)


def schema_list_keys(schema, spath):
    """x-kubernetes-list-map-keys of the list at ``spath`` (a tuple of field names, "[]" for items) in a schema."""
    node = schema
    for element in spath:
        if not isinstance(node, dict):
            return None
        if element == "[]":
            node = node.get("items")
        else:
            props = node.get("properties") or {}
            node = props.get(element) if element in props else node.get("additionalProperties")
    return _list_map_keys(node) if isinstance(node, dict) else None


# ---------------------------------------------------------------------------------------------------------------------
# Resource types

COMMON_MERGE_KEYS = {("metadata", "finalizers"): "", ("metadata", "ownerReferences"): "uid"}

# The patchMergeKeys of a PodSpec (paths relative to it). Lists without one -- tolerations, readinessGates,
# args, command, envFrom, ... -- have no patch strategy: a strategic merge patch replaces them whole.
POD_SPEC_MERGE_KEYS = {
    ("containers",): "name", ("initContainers",): "name", ("ephemeralContainers",): "name", ("volumes",): "name",
    ("imagePullSecrets",): "name", ("hostAliases",): "ip", ("topologySpreadConstraints",): "topologyKey",
    ("schedulingGates",): "name", ("resourceClaims",): "name",
}
for _containers in ("containers", "initContainers", "ephemeralContainers"):
    POD_SPEC_MERGE_KEYS.update({(_containers, "[]", "ports"): "containerPort", (_containers, "[]", "env"): "name",
                                (_containers, "[]", "volumeMounts"): "mountPath", (_containers, "[]", "volumeDevices"): "devicePath"})


def _under(prefix, keys):
    return {prefix + path: key for path, key in keys.items()}


POD_MERGE_KEYS = {**COMMON_MERGE_KEYS, **_under(("spec",), POD_SPEC_MERGE_KEYS), **{
    ("status", "conditions"): "type", ("status", "podIPs"): "ip", ("status", "hostIPs"): "ip",
    ("status", "resourceClaimStatuses"): "name",
}}
# Deployments, StatefulSets and DaemonSets: the pod template's keys under spec.template, and status conditions by type.
WORKLOAD_MERGE_KEYS = {**COMMON_MERGE_KEYS, **_under(("spec", "template"), COMMON_MERGE_KEYS),
                       **_under(("spec", "template", "spec"), POD_SPEC_MERGE_KEYS), ("status", "conditions"): "type"}

SERVICE_MERGE_KEYS = {**COMMON_MERGE_KEYS, ("spec", "ports"): "port", ("status", "conditions"): "type"}
NAMESPACE_MERGE_KEYS = {**COMMON_MERGE_KEYS, ("status", "conditions"): "type"}


class ResourceType:
    """One resource of the API: names, scope, subresources and the strategy that checks and defaults its objects."""

    def __init__(self, group, versions, plural, kind, namespaced, strategy, singular=None, short_names=(), categories=(),
                 status_subresource=False, extra_subresources=(), merge_keys=None, returns_deleted=False,
                 field_selectors=(), crd_name=None, schemas=None, list_kind=None, storage_version=None):
        self.group = group
        self.versions = list(versions)
        self.storage_version = storage_version or self.versions[0]
        self.plural = plural
        self.kind = kind
        self.list_kind = list_kind or kind + "List"
        self.singular = singular or kind.lower()
        self.namespaced = namespaced
        self.strategy = strategy
        self.short_names = list(short_names)
        self.categories = list(categories)
        self.status_subresource = status_subresource
        self.extra_subresources = list(extra_subresources)
        self.merge_keys = merge_keys if merge_keys is not None else dict(COMMON_MERGE_KEYS)
        self.returns_deleted = returns_deleted
        self.field_selectors = {"metadata.name", "metadata.namespace", *field_selectors}
        self.crd_name = crd_name
        self.schemas = schemas or {}

    @property
    def group_resource(self):
        return "%s.%s" % (self.plural, self.group) if self.group else self.plural

    @property
    def group_kind(self):
        return "%s.%s" % (self.kind, self.group) if self.group else self.kind

    def api_version(self, version=None):
        version = version or self.storage_version
        return "%s/%s" % (self.group, version) if self.group else version

    def schema(self, version=None):
        return self.schemas.get(version or self.storage_version)

    def list_keys(self, spath):
        if self.crd_name:
            return schema_list_keys(self.schema(), spath) if self.schema() else None
        key = self.merge_keys.get(tuple(spath))
        return [key] if key else None

    def discovery(self):
        entry = {"name": self.plural, "singularName": self.singular, "namespaced": self.namespaced, "kind": self.kind,
                 "verbs": list(ALL_VERBS)}
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if self.categories:
            entry["categories"] = list(self.categories)
        entries = [entry]
        for sub in (["status"] if self.status_subresource else []) + self.extra_subresources:
            entry = {"name": "%s/%s" % (self.plural, sub), "singularName": "", "namespaced": self.namespaced,
                     "kind": self.kind, "verbs": list(STATUS_VERBS)}
            if sub == "scale":
                entry.update(group="autoscaling", version="v1", kind="Scale")
            entries.append(entry)
        return entries


def version_priority(version):
    """Sort key of Kubernetes version priority (GA before beta before alpha, higher first)."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (0, 0, 0, 0)
    return (1, {None: 3, "beta": 2, "alpha": 1}[m.group(2)], int(m.group(1)), int(m.group(3) or 0))


QUALIFIED_NAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                      "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                      "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
                   "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
                   "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


def _qualified_name_errors(field, key):
    """IsQualifiedName: an optional DNS subdomain prefix and '/', and a name part of at most 63 characters."""
    parts = key.split("/")
    if len(parts) > 2:
        return [FieldError("Invalid", field, key, "a qualified name " + QUALIFIED_NAME_MSG + " with an optional DNS subdomain "
                           "prefix and '/' (e.g. 'example.com/MyName')")]
    errors = []
    name = parts[-1]
    if len(parts) == 2:
        if not parts[0]:
            errors.append(FieldError("Invalid", field, key, "prefix part must be non-empty"))
        elif len(parts[0]) > 253:
            errors.append(FieldError("Invalid", field, key, "prefix part must be no more than 253 characters"))
        elif not DNS1123_SUBDOMAIN.match(parts[0]):
            errors.append(FieldError("Invalid", field, key, "prefix part " + DNS1123_SUBDOMAIN_MSG))
    if not name:
        errors.append(FieldError("Invalid", field, key, "name part must be non-empty"))
    elif len(name) > 63:
        errors.append(FieldError("Invalid", field, key, "name part must be no more than 63 characters"))
    if not QUALIFIED_NAME.match(name):
        errors.append(FieldError("Invalid", field, key, "name part " + QUALIFIED_NAME_MSG))
    return errors


def _label_value_errors(field, value):
    if not isinstance(value, str):
        return [FieldError("Invalid", field, value, LABEL_VALUE_MSG)]
    errors = []
    if len(value) > 63:
        errors.append(FieldError("Invalid", field, value, "must be no more than 63 characters"))
    if not LABEL_VALUE.match(value):
        errors.append(FieldError("Invalid", field, value, LABEL_VALUE_MSG))
    return errors


def validate_labels(labels, field):
    """ValidateLabels: each key a qualified name, each value a label value; all reported on ``field``."""
    errors = []
    for key, value in (labels or {}).items():
        errors += _qualified_name_errors(field, key) + _label_value_errors(field, value)
    return errors


def validate_annotations(annotations, field):
    errors = []
    for key, value in (annotations or {}).items():
        errors += _qualified_name_errors(field, key.lower())
        if not isinstance(value, str):
            errors.append(FieldError("Invalid", field, value, "must be a string"))
    return errors


def validate_metadata(rt, obj):
    meta = obj.get("metadata") or {}
    errors = []
    name = meta.get("name", "")
    check = {"label": (DNS1123_LABEL, 63, DNS1123_LABEL_MSG), "1035": (DNS1035_LABEL, 63, DNS1035_LABEL_MSG)}.get(
        rt.strategy.name_check, (DNS1123_SUBDOMAIN, 253, DNS1123_SUBDOMAIN_MSG))
    if not check[0].match(name):
        errors.append(FieldError("Invalid", "metadata.name", name, check[2]))
    elif len(name) > check[1]:
        errors.append(FieldError("Invalid", "metadata.name", name, "must be no more than %d characters" % check[1]))
    return errors + validate_labels(meta.get("labels"), "metadata.labels") + \
        validate_annotations(meta.get("annotations"), "metadata.annotations")


class Strategy:
    """Defaulting and validation of one kind; the base class does nothing beyond metadata."""

    name_check = "subdomain"
    sets_generation = False  # metadata.generation from 1, bumped by the generic write on spec changes

    def prepare_create(self, state, rt, obj):
        pass

    def prepare_update(self, state, rt, obj, old):
        pass

    def validate(self, state, rt, obj, old):
        return []

    def deleted(self, state, rt, obj):
        pass


class NamespaceStrategy(Strategy):
    name_check = "label"

    def prepare_create(self, state, rt, obj):
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
        self.prepare_update(state, rt, obj, None)

    def prepare_update(self, state, rt, obj, old):
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        if old is not None:
            obj["spec"] = copy.deepcopy(old.get("spec", {}))  # spec.finalizers change only through /finalize


def _container_defaults(container):
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("resources", {})
    image = container.get("image") or ""
    tagged = ":" in image.rsplit("/", 1)[-1] or "@" in image
    latest = image.endswith(":latest") or not tagged
    container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")


def pod_spec_defaults(spec):
    """What defaulting gives every PodSpec, a Pod's or a pod template's (SetDefaults_PodSpec, containers, volumes)."""
    for key, value in (("restartPolicy", "Always"), ("terminationGracePeriodSeconds", 30), ("dnsPolicy", "ClusterFirst"),
                       ("securityContext", {}), ("schedulerName", "default-scheduler")):
        spec.setdefault(key, value)
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                _container_defaults(container)
    for volume in spec.get("volumes") or []:
        if isinstance(volume, dict) and set(volume) <= {"name"}:
            volume["emptyDir"] = {}  # a volume without a source is an emptyDir


ENV_VAR_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
ENV_VAR_NAME_MSG = ("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must "
                    "not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation "
                    "is '[-._a-zA-Z][-._a-zA-Z0-9]*')")


def _container_errors(container, path, names, volumes):
    if not isinstance(container, dict):
        return [FieldError("Required", path + ".name"), FieldError("Required", path + ".image")]
    errors = []
    name = container.get("name")
    if not name:
        errors.append(FieldError("Required", path + ".name"))
    elif not DNS1123_LABEL.match(name) or len(name) > 63:
        errors.append(FieldError("Invalid", path + ".name", name, DNS1123_LABEL_MSG))
    elif name in names:
        errors.append(FieldError("Duplicate", path + ".name", name))
    names.add(name)
    if not container.get("image"):
        errors.append(FieldError("Required", path + ".image"))
    for index, port in enumerate(container.get("ports") or []):
        field = "%s.ports[%d]" % (path, index)
        port = port if isinstance(port, dict) else {}
        number = port.get("containerPort") or 0
        if number == 0:
            errors.append(FieldError("Required", field + ".containerPort"))
        elif not isinstance(number, int) or not 1 <= number <= 65535:
            errors.append(FieldError("Invalid", field + ".containerPort", number, "must be between 1 and 65535, inclusive"))
        if port.get("protocol", "TCP") not in ("SCTP", "TCP", "UDP"):
            errors.append(FieldError("NotSupported", field + ".protocol", port["protocol"], ["SCTP", "TCP", "UDP"]))
    for index, env in enumerate(container.get("env") or []):
        field = "%s.env[%d].name" % (path, index)
        env_name = env.get("name") if isinstance(env, dict) else None
        if not env_name:
            errors.append(FieldError("Required", field))
        elif not ENV_VAR_NAME.match(env_name):
            errors.append(FieldError("Invalid", field, env_name, ENV_VAR_NAME_MSG))
    for index, mount in enumerate(container.get("volumeMounts") or []):
        field = "%s.volumeMounts[%d]" % (path, index)
        mount = mount if isinstance(mount, dict) else {}
        if not mount.get("name"):
            errors.append(FieldError("Required", field + ".name"))
        elif mount["name"] not in volumes:
            errors.append(FieldError("NotFound", field + ".name", mount["name"]))
        if not mount.get("mountPath"):
            errors.append(FieldError("Required", field + ".mountPath"))
    return errors


def validate_pod_spec(spec, path):
    """What ValidatePodSpec checks here, for a Pod (``path`` "spec") or a pod template ("spec.template.spec"): volume
    names, containers (name, image, ports, env names, volume mounts), restartPolicy and readinessGates."""
    errors = []
    volumes = set()
    for index, volume in enumerate(spec.get("volumes") or []):
        field = "%s.volumes[%d].name" % (path, index)
        name = volume.get("name") if isinstance(volume, dict) else None
        if not name:
            errors.append(FieldError("Required", field))
        elif not DNS1123_LABEL.match(name) or len(name) > 63:
            errors.append(FieldError("Invalid", field, name, DNS1123_LABEL_MSG))
        elif name in volumes:
            errors.append(FieldError("Duplicate", field, name))
        volumes.add(name)
    if not spec.get("containers"):
        errors.append(FieldError("Required", path + ".containers"))
    names = set()
    for key in ("containers", "initContainers"):
        for index, container in enumerate(spec.get(key) or []):
            errors += _container_errors(container, "%s.%s[%d]" % (path, key, index), names, volumes)
    if spec.get("restartPolicy") not in (None, "Always", "OnFailure", "Never"):
        errors.append(FieldError("NotSupported", path + ".restartPolicy", spec["restartPolicy"], ["Always", "Never", "OnFailure"]))
    for index, gate in enumerate(spec.get("readinessGates") or []):
        condition = gate.get("conditionType") if isinstance(gate, dict) else None
        errors += _qualified_name_errors("%s.readinessGates[%d].conditionType" % (path, index), condition or "")
    return errors


class PodStrategy(Strategy):
    UPDATABLE = ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds")

    def prepare_create(self, state, rt, obj):
        spec = obj.setdefault("spec", {})
        pod_spec_defaults(spec)
        spec.setdefault("enableServiceLinks", True)
        for key, value in (("preemptionPolicy", "PreemptLowerPriority"), ("priority", 0)):  # the Priority admission, on create
            spec.setdefault(key, value)
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}

    def prepare_update(self, state, rt, obj, old):
        # Defaulting runs on every write; an update that leaves out a defaulted field does not change it.
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict):
            pod_spec_defaults(spec)
            spec.setdefault("enableServiceLinks", True)

    def validate(self, state, rt, obj, old):
        errors = validate_pod_spec(obj.get("spec") or {}, "spec")
        if old is not None and not errors:
            errors += self._validate_update(obj, old)
        return errors

    def _validate_update(self, obj, old):
        def mutable_cleared(spec):
            spec = copy.deepcopy(spec or {})
            for key in self.UPDATABLE:
                spec.pop(key, None)
            for key in ("containers", "initContainers"):
                for container in spec.get(key) or []:
                    container.pop("image", None)
            return spec
        if mutable_cleared(obj.get("spec")) != mutable_cleared(old.get("spec")):
            return [FieldError("Forbidden", "spec", detail="pod updates may not change fields other than `spec.containers[*].image`,"
                               "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
                               "to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it "
                               "was previously negative)")]
        return []


# IsValidPortName: an IANA service name (at most 15 of a-z, 0-9 and inner single hyphens, one letter at least).
_IANA_SVC_NAME = re.compile(r"^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$")


class ServiceStrategy(Strategy):
    name_check = "1035"
    TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]

    def prepare_create(self, state, rt, obj):
        obj["status"] = {"loadBalancer": {}}
        self._defaults(state, obj, None)

    def prepare_update(self, state, rt, obj, old):
        spec, old_spec = obj.setdefault("spec", {}), old.get("spec") or {}
        for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            if key not in spec and key in old_spec and spec.get("type", "ClusterIP") != "ExternalName":
                spec[key] = copy.deepcopy(old_spec[key])
        old_ports = {(p.get("port"), p.get("protocol", "TCP")): p for p in old_spec.get("ports") or [] if isinstance(p, dict)}
        for port in spec.get("ports") or []:
            if isinstance(port, dict) and "nodePort" not in port:
                previous = old_ports.get((port.get("port"), port.get("protocol", "TCP")))
                if previous and "nodePort" in previous:
                    port["nodePort"] = previous["nodePort"]
        self._defaults(state, obj, old)

    def _defaults(self, state, obj, old):
        spec = obj.setdefault("spec", {})
        kind = spec.setdefault("type", "ClusterIP")
        if kind != "ExternalName":
            spec.setdefault("sessionAffinity", "None")
            spec.setdefault("internalTrafficPolicy", "Cluster")
            if "clusterIP" not in spec or spec["clusterIP"] == "":
                spec["clusterIP"] = state.allocate_cluster_ip()
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
            if spec["clusterIP"] != "None":
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
        for port in spec.get("ports") or []:
            if not isinstance(port, dict):
                continue
            port.setdefault("protocol", "TCP")
            if port.get("targetPort") in (None, 0, ""):  # SetDefaults_Service: targetPort is port, even a missing one
                port["targetPort"] = port.get("port", 0)
            if kind in ("NodePort", "LoadBalancer") and "nodePort" not in port:
                port["nodePort"] = state.allocate_node_port()
        if kind in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if kind == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)

    def validate(self, state, rt, obj, old):
        spec = obj.get("spec") or {}
        errors = []
        kind = spec.get("type", "ClusterIP")
        if kind not in self.TYPES:
            errors.append(FieldError("NotSupported", "spec.type", kind, self.TYPES))
        ports = spec.get("ports") or []
        if not ports and kind != "ExternalName" and spec.get("clusterIP") != "None":
            errors.append(FieldError("Required", "spec.ports"))
        if kind == "ExternalName" and not spec.get("externalName"):
            errors.append(FieldError("Required", "spec.externalName"))
        names, seen = set(), set()
        for index, port in enumerate(ports):
            path = "spec.ports[%d]" % index
            if not isinstance(port, dict):
                errors.append(FieldError("Invalid", path, port, "must be an object"))
                continue
            if len(ports) > 1 and not port.get("name"):
                errors.append(FieldError("Required", path + ".name"))
            elif port.get("name") in names:
                errors.append(FieldError("Duplicate", path + ".name", port["name"]))
            names.add(port.get("name"))
            # A missing port is the int32 zero: Invalid, as IsValidPortNum says, not Required.
            number = port.get("port", 0)
            if not isinstance(number, int) or not 1 <= number <= 65535:
                errors.append(FieldError("Invalid", path + ".port", number, "must be between 1 and 65535, inclusive"))
            target = port.get("targetPort", 0)
            if isinstance(target, int) and not 1 <= target <= 65535:
                errors.append(FieldError("Invalid", path + ".targetPort", target, "must be between 1 and 65535, inclusive"))
            elif isinstance(target, str) and not _IANA_SVC_NAME.match(target):
                errors.append(FieldError("Invalid", path + ".targetPort", target, "must contain only alpha-numeric characters "
                                         "(a-z, 0-9), and hyphens (-), at most 15 characters and at least one letter"))
            if port.get("protocol", "TCP") not in ("SCTP", "TCP", "UDP"):
                errors.append(FieldError("NotSupported", path + ".protocol", port["protocol"], ["SCTP", "TCP", "UDP"]))
            if (number, port.get("protocol", "TCP")) in seen:
                errors.append(FieldError("Duplicate", path, {"port": number, "protocol": port.get("protocol", "TCP")}))
            seen.add((number, port.get("protocol", "TCP")))
        if old is not None:
            old_ip = (old.get("spec") or {}).get("clusterIP")
            if old_ip and kind != "ExternalName" and spec.get("clusterIP") != old_ip:
                errors.append(FieldError("Invalid", "spec.clusterIPs[0]", spec.get("clusterIPs"), "may not change once set"))
        return errors


def _validate_keys(obj, fields):
    errors = []
    for field in fields:
        for key in obj.get(field) or {}:
            if len(key) > 253 or not CONFIG_KEY.match(key):
                errors.append(FieldError("Invalid", "%s[%s]" % (field, key), key, "a valid config key must consist of alphanumeric "
                                         "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex "
                                         "used for validation is '[-._a-zA-Z0-9]+')"))
    return errors


def _immutable_errors(obj, old, fields):
    if old is None or not old.get("immutable"):
        return []
    errors = []
    for field in fields:
        if obj.get(field) != old.get(field):
            errors.append(FieldError("Forbidden", field, detail="field is immutable when `immutable` is set"))
    if not obj.get("immutable"):
        errors.append(FieldError("Forbidden", "immutable", detail="field is immutable when `immutable` is set"))
    return errors


class SecretStrategy(Strategy):
    def _normalize(self, obj):
        for key, value in (obj.get("data") or {}).items():
            try:
                base64.b64decode(value or "", validate=True)
            except (ValueError, TypeError):
                raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input "
                                  "(key %s)" % key) from None
        string_data = obj.pop("stringData", None) or {}
        if string_data:
            data = obj.setdefault("data", {})
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()
        obj.setdefault("type", "Opaque")

    def prepare_create(self, state, rt, obj):
        self._normalize(obj)

    def prepare_update(self, state, rt, obj, old):
        self._normalize(obj)

    def validate(self, state, rt, obj, old):
        errors = _validate_keys(obj, ("data",)) + _immutable_errors(obj, old, ("data",))
        if old is not None and obj.get("type") != old.get("type"):
            errors.append(FieldError("Invalid", "type", obj.get("type"), "field is immutable"))
        return errors


class ConfigMapStrategy(Strategy):
    def validate(self, state, rt, obj, old):
        return _validate_keys(obj, ("data", "binaryData")) + _immutable_errors(obj, old, ("data", "binaryData"))


class EndpointSliceStrategy(Strategy):
    def prepare_create(self, state, rt, obj):
        for port in obj.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")

    def prepare_update(self, state, rt, obj, old):
        self.prepare_create(state, rt, obj)

    def validate(self, state, rt, obj, old):
        errors = []
        kind = obj.get("addressType")
        if not kind:
            errors.append(FieldError("Required", "addressType"))
        elif kind not in ("IPv4", "IPv6", "FQDN"):
            errors.append(FieldError("NotSupported", "addressType", kind, ["FQDN", "IPv4", "IPv6"]))
        elif old is not None and old.get("addressType") != kind:
            errors.append(FieldError("Invalid", "addressType", kind, "field is immutable"))
        for index, endpoint in enumerate(obj.get("endpoints") or []):
            addresses = endpoint.get("addresses") if isinstance(endpoint, dict) else None
            path = "endpoints[%d].addresses" % index
            if not addresses:
                errors.append(FieldError("Required", path, detail="must contain at least 1 address"))
                continue
            for number, address in enumerate(addresses):
                if kind in ("IPv4", "IPv6") and not _is_ip(str(address), 4 if kind == "IPv4" else 6):
                    errors.append(FieldError("Invalid", "%s[%d]" % (path, number), address, "must be a valid %s address" % kind))
        for index, port in enumerate(obj.get("ports") or []):
            number = port.get("port") if isinstance(port, dict) else None
            if number is not None and not (isinstance(number, int) and 0 <= number <= 65535):
                errors.append(FieldError("Invalid", "ports[%d].port" % index, number, "must be between 0 and 65535, inclusive"))
        return errors


# -- apps/v1 workloads: Deployments, StatefulSets, DaemonSets

SELECTOR_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
PERCENT = re.compile(r"^[0-9]+%$")
PERCENT_MSG = ("a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used "
               "for validation is '[0-9]+%')")


def go_string_map(value):
    """A map[string]string the way Go's %#v prints it (keys sorted)."""
    if value is None:
        return "map[string]string(nil)"
    return "map[string]string{%s}" % ", ".join("%s:%s" % (go_quote(k), go_quote(v)) for k, v in sorted(value.items()))


def go_label_selector(selector):
    """A metav1.LabelSelector the way Go's %#v prints it, as field errors show it."""
    def strings(values):
        return "[]string(nil)" if values is None else "[]string{%s}" % ", ".join(go_quote(v) for v in values)
    expressions = selector.get("matchExpressions")
    if expressions is None:
        shown = "[]v1.LabelSelectorRequirement(nil)"
    else:
        shown = "[]v1.LabelSelectorRequirement{%s}" % ", ".join(
            "v1.LabelSelectorRequirement{Key:%s, Operator:%s, Values:%s}" % (
                go_quote(e.get("key", "")), go_quote(e.get("operator", "")), strings(e.get("values")))
            for e in expressions if isinstance(e, dict))
    return "v1.LabelSelector{MatchLabels:%s, MatchExpressions:%s}" % (go_string_map(selector.get("matchLabels")), shown)


def go_int_or_string(value):
    if isinstance(value, str):
        return "intstr.IntOrString{Type:1, IntVal:0, StrVal:%s}" % go_quote(value)
    return 'intstr.IntOrString{Type:0, IntVal:%s, StrVal:""}' % go_quote(value)


def _int_or_percent_value(value):
    if isinstance(value, str):
        if PERCENT.match(value):
            return int(value[:-1])
        return int(value) if value.isdigit() else 0
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _int_or_percent_errors(value, field, at_most_100=True):
    """ValidatePositiveIntOrPercent, and IsNotMoreThan100Percent."""
    if isinstance(value, str):
        if not PERCENT.match(value):
            return [FieldError("Invalid", field, shown=go_int_or_string(value), detail=PERCENT_MSG)]
        if at_most_100 and int(value[:-1]) > 100:
            return [FieldError("Invalid", field, shown=go_int_or_string(value), detail="must not be greater than 100%")]
        return []
    return _nonnegative(value, field)


def _nonnegative(value, field):
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [FieldError("Invalid", field, value, "must be greater than or equal to 0")]
    return []


def _selector_empty(selector):
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def label_selector_errors(selector, path):
    """ValidateLabelSelector: match labels as labels, each expression's operator, values and key."""
    if not isinstance(selector, dict):
        return []
    errors = validate_labels(selector.get("matchLabels"), path + ".matchLabels")
    for index, expression in enumerate(selector.get("matchExpressions") or []):
        field = "%s.matchExpressions[%d]" % (path, index)
        expression = expression if isinstance(expression, dict) else {}
        operator, values = expression.get("operator"), expression.get("values") or []
        if operator in ("In", "NotIn"):
            if not values:
                errors.append(FieldError("Required", field + ".values", detail="must be specified when `operator` is 'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                errors.append(FieldError("Forbidden", field + ".values",
                                         detail="may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            errors.append(FieldError("Invalid", field + ".operator", operator, "not a valid selector operator"))
        errors += _qualified_name_errors(field + ".key", expression.get("key") or "")
        for number, value in enumerate(values):
            errors += _label_value_errors("%s.values[%d]" % (field, number), value)
    return errors


def selector_matches(selector, labels):
    """Whether a (valid) LabelSelector selects ``labels``: none selects nothing, an empty one everything."""
    if selector is None:
        return False
    reqs = [(key, "=", [value]) for key, value in (selector.get("matchLabels") or {}).items()]
    reqs += [(e.get("key"), SELECTOR_OPERATORS[e.get("operator")], e.get("values") or []) for e in selector.get("matchExpressions") or []]
    return labels_match(reqs, labels)


def selector_string(selector):
    """A LabelSelector as the selector string of a Scale's status (requirements sorted by key)."""
    if not isinstance(selector, dict):
        return ""
    parts = [(key, "%s=%s" % (key, value)) for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key", ""), expression.get("operator"), sorted(expression.get("values") or [])
        text = {"In": "%s in (%s)", "NotIn": "%s notin (%s)", "Exists": "%s", "DoesNotExist": "!%s"}.get(operator, "%s")
        parts.append((key, text % ((key, ",".join(values)) if "(" in text else key)))
    return ",".join(text for _key, text in sorted(parts, key=lambda part: part[0]))


def _template_label_errors(spec):
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    return [FieldError("Invalid", "spec.template.metadata.labels", shown=go_string_map(labels),
                       detail="`selector` does not match template `labels`")]


def _status_errors(status, fields, at_most_replicas, available_detail):
    """Status counters must be >= 0 and (some of them) at most status.replicas."""
    def count(key):
        value = status.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0
    errors = []
    for key in fields:
        errors += _nonnegative(status.get(key), "status." + key)
    for key in at_most_replicas:
        if count(key) > count("replicas"):
            errors.append(FieldError("Invalid", "status." + key, status[key], "cannot be greater than status.replicas"))
    if available_detail and count("availableReplicas") > count("readyReplicas"):
        errors.append(FieldError("Invalid", "status.availableReplicas", status["availableReplicas"], available_detail))
    return errors


class WorkloadStrategy(Strategy):
    """What Deployments, StatefulSets and DaemonSets share: a pod template defaulted like a Pod's spec, a status
    reset on create and kept by main-resource writes, and metadata.generation."""

    sets_generation = True
    initial_status = {}

    def prepare_create(self, state, rt, obj):
        self.defaults(obj)
        obj["status"] = copy.deepcopy(self.initial_status)

    def prepare_update(self, state, rt, obj, old):
        self.defaults(obj)  # defaulting runs on every write

    def defaults(self, obj):
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        template = spec.get("template")
        if not isinstance(template, dict):
            template = spec["template"] = {}
        if not isinstance(template.get("spec"), dict):
            template["spec"] = {}
        pod_spec_defaults(template["spec"])
        self.spec_defaults(spec)

    def spec_defaults(self, spec):
        pass

    @staticmethod
    def template_errors(spec, owner, pod_spec=True):
        """ValidatePodTemplateSpec (its labels and annotations reported as spec.template.labels/annotations, as the
        real server does) and what a controller's pods need: restartPolicy Always, no activeDeadlineSeconds."""
        template = spec.get("template") or {}
        meta = template.get("metadata") or {}
        pod = template.get("spec") or {}
        errors = validate_labels(meta.get("labels"), "spec.template.labels")
        errors += validate_annotations(meta.get("annotations"), "spec.template.annotations")
        if pod_spec:
            errors += validate_pod_spec(pod, "spec.template.spec")
        if pod.get("restartPolicy") != "Always":
            errors.append(FieldError("NotSupported", "spec.template.spec.restartPolicy", pod.get("restartPolicy", ""), ["Always"]))
        if pod.get("activeDeadlineSeconds") is not None:
            errors.append(FieldError("Forbidden", "spec.template.spec.activeDeadlineSeconds",
                                     detail="activeDeadlineSeconds in %s is not Supported" % owner))
        return errors

    @staticmethod
    def selector_immutable(spec, old):
        selector = spec.get("selector")
        if old is None or selector == (old.get("spec") or {}).get("selector"):
            return []
        shown = go_label_selector(selector) if isinstance(selector, dict) else "null"
        return [FieldError("Invalid", "spec.selector", shown=shown, detail="field is immutable")]


class DeploymentStrategy(WorkloadStrategy):
    def spec_defaults(self, spec):
        if spec.get("replicas") is None:
            spec["replicas"] = 1
        _default_rolling_update(spec, "strategy", (("maxUnavailable", "25%"), ("maxSurge", "25%")))
        for key, value in (("revisionHistoryLimit", 10), ("progressDeadlineSeconds", 600)):
            if spec.get(key) is None:
                spec[key] = value

    def validate(self, state, rt, obj, old):
        spec = obj.get("spec") or {}
        errors = _nonnegative(spec.get("replicas"), "spec.replicas")
        selector = spec.get("selector")
        errors += _workload_selector_errors(selector, "deployment", "invalid label selector")
        if not label_selector_errors(selector, "spec.selector"):
            if (selector is None or not _selector_empty(selector)) and not selector_matches(
                    selector, ((spec.get("template") or {}).get("metadata") or {}).get("labels")):
                errors += _template_label_errors(spec)
            errors += self.template_errors(spec, "ReplicaSet")
        errors += self._strategy_errors(spec.get("strategy") or {})
        errors += _nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
        errors += _nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
        deadline = spec.get("progressDeadlineSeconds")
        if deadline is not None:
            errors += _nonnegative(deadline, "spec.progressDeadlineSeconds")
            if isinstance(deadline, int) and deadline <= (spec.get("minReadySeconds") or 0):
                errors.append(FieldError("Invalid", "spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"))
        errors += _status_errors(obj.get("status") or {}, ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas",
                                                           "availableReplicas", "unavailableReplicas", "collisionCount"),
                                 ("updatedReplicas", "readyReplicas", "availableReplicas"), "cannot be greater than readyReplicas")
        return errors + self.selector_immutable(spec, old)

    @staticmethod
    def _strategy_errors(strategy):
        kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
        if kind == "Recreate":
            if rolling is not None:
                return [FieldError("Forbidden", "spec.strategy.rollingUpdate",
                                   detail="may not be specified when strategy `type` is 'Recreate'")]
            return []
        if kind != "RollingUpdate":
            shown = "apps.DeploymentStrategy{Type:%s, RollingUpdate:(*apps.RollingUpdateDeployment)(%s)}" % (
                go_quote(kind or ""), "nil" if rolling is None else "0xc000000000")
            return [FieldError("NotSupported", "spec.strategy", detail=["Recreate", "RollingUpdate"], shown=shown)]
        path = "spec.strategy.rollingUpdate"
        unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
        errors = _int_or_percent_errors(unavailable, path + ".maxUnavailable", at_most_100=False)
        errors += _int_or_percent_errors(surge, path + ".maxSurge", at_most_100=False)
        if _int_or_percent_value(unavailable) == 0 and _int_or_percent_value(surge) == 0:
            errors.append(FieldError("Invalid", path + ".maxUnavailable", shown=go_int_or_string(unavailable),
                                     detail="may not be 0 when `maxSurge` is 0"))
        if isinstance(unavailable, str) and PERCENT.match(unavailable) and int(unavailable[:-1]) > 100:
            errors.append(FieldError("Invalid", path + ".maxUnavailable", shown=go_int_or_string(unavailable),
                                     detail="must not be greater than 100%"))
        return errors


class StatefulSetStrategy(WorkloadStrategy):
    name_check = "label"
    initial_status = {"replicas": 0, "availableReplicas": 0}
    UPDATABLE = ("replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds")

    def spec_defaults(self, spec):
        if not spec.get("podManagementPolicy"):
            spec["podManagementPolicy"] = "OrderedReady"
        if not isinstance(spec.get("updateStrategy"), dict):
            spec["updateStrategy"] = {}
        strategy = spec["updateStrategy"]
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
            if strategy.get("rollingUpdate") is None:
                strategy["rollingUpdate"] = {}
        if strategy["type"] == "RollingUpdate" and isinstance(strategy.get("rollingUpdate"), dict) \
                and strategy["rollingUpdate"].get("partition") is None:
            strategy["rollingUpdate"]["partition"] = 0
        for key, value in (("replicas", 1), ("revisionHistoryLimit", 10)):
            if spec.get(key) is None:
                spec[key] = value
        spec.setdefault("serviceName", "")
        if not isinstance(spec.get("persistentVolumeClaimRetentionPolicy"), dict):
            spec["persistentVolumeClaimRetentionPolicy"] = {}
        for key in ("whenDeleted", "whenScaled"):
            if not spec["persistentVolumeClaimRetentionPolicy"].get(key):
                spec["persistentVolumeClaimRetentionPolicy"][key] = "Retain"

    def validate(self, state, rt, obj, old):
        spec = obj.get("spec") or {}
        errors = []
        policy = spec.get("podManagementPolicy")
        if policy not in ("OrderedReady", "Parallel"):
            errors.append(FieldError("Invalid", "spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
        errors += self._update_strategy_errors(spec.get("updateStrategy") or {})
        for key, value in (spec.get("persistentVolumeClaimRetentionPolicy") or {}).items():
            if value not in ("Retain", "Delete"):
                errors.append(FieldError("NotSupported", "spec.persistentVolumeClaimRetentionPolicy." + key, value, ["Retain", "Delete"]))
        errors += _nonnegative(spec.get("replicas"), "spec.replicas")
        errors += _nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
        selector = spec.get("selector")
        errors += _workload_selector_errors(selector, "statefulset", None)
        if not label_selector_errors(selector, "spec.selector"):
            if (selector is None or not _selector_empty(selector)) and not selector_matches(
                    selector, ((spec.get("template") or {}).get("metadata") or {}).get("labels")):
                errors += _template_label_errors(spec)
            # The real server does not validate a StatefulSet's pod spec (a TODO in its validation): only these.
            errors += self.template_errors(spec, "StatefulSet", pod_spec=False)
        errors += _status_errors(obj.get("status") or {}, ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas",
                                                           "availableReplicas", "observedGeneration", "collisionCount"),
                                 ("readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"),
                                 "cannot be greater than status.readyReplicas")
        if old is not None:
            old_spec = old.get("spec") or {}
            if _without(spec, self.UPDATABLE) != _without(old_spec, self.UPDATABLE):
                errors.append(FieldError("Forbidden", "spec", detail="updates to statefulset spec for fields other than 'replicas', "
                                         "'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                                         "'minReadySeconds' are forbidden"))
        return errors

    @staticmethod
    def _update_strategy_errors(strategy):
        kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
        path = "spec.updateStrategy"
        if kind == "OnDelete":
            if rolling is not None:
                shown = "apps.RollingUpdateStatefulSetStrategy{Partition:%s, MaxUnavailable:(*intstr.IntOrString)(%s)}" % (
                    go_quote((rolling or {}).get("partition", 0)), "nil" if (rolling or {}).get("maxUnavailable") is None else "0xc000000000")
                return [FieldError("Invalid", path + ".rollingUpdate", shown=shown, detail="only allowed for updateStrategy 'RollingUpdate'")]
            return []
        if kind != "RollingUpdate":
            shown = "apps.StatefulSetUpdateStrategy{Type:%s, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(%s)}" % (
                go_quote(kind or ""), "nil" if rolling is None else "0xc000000000")
            return [FieldError("Invalid", path, shown=shown, detail="must be 'RollingUpdate' or 'OnDelete'")]
        if not isinstance(rolling, dict):
            return []
        errors = _nonnegative(rolling.get("partition"), path + ".rollingUpdate.partition")
        if rolling.get("maxUnavailable") is not None:
            unavailable = rolling["maxUnavailable"]
            errors += _int_or_percent_errors(unavailable, path + ".rollingUpdate.maxUnavailable")
            if _int_or_percent_value(unavailable) == 0:
                errors.append(FieldError("Invalid", path + ".rollingUpdate.maxUnavailable", shown=go_int_or_string(unavailable),
                                         detail="cannot be 0"))
        return errors


class DaemonSetStrategy(WorkloadStrategy):
    initial_status = {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0}
    TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"

    def spec_defaults(self, spec):
        _default_rolling_update(spec, "updateStrategy", (("maxUnavailable", 1), ("maxSurge", 0)))
        if spec.get("revisionHistoryLimit") is None:
            spec["revisionHistoryLimit"] = 10

    def prepare_create(self, state, rt, obj):
        super().prepare_create(state, rt, obj)
        annotations = obj["metadata"].get("annotations") or {}
        value = str(annotations.get(self.TEMPLATE_GENERATION, ""))
        annotations[self.TEMPLATE_GENERATION] = value if value.isdigit() and int(value) >= 1 else "1"
        obj["metadata"]["annotations"] = annotations

    def prepare_update(self, state, rt, obj, old):
        # The template generation is the server's: kept from the old object, one up when the template changes.
        super().prepare_update(state, rt, obj, old)
        stored = str((old["metadata"].get("annotations") or {}).get(self.TEMPLATE_GENERATION) or "1")
        generation = int(stored) if stored.isdigit() else 1
        if obj["spec"].get("template") != (old.get("spec") or {}).get("template"):
            generation += 1
        annotations = obj["metadata"].get("annotations") or {}
        annotations[self.TEMPLATE_GENERATION] = str(generation)
        obj["metadata"]["annotations"] = annotations

    def validate(self, state, rt, obj, old):
        spec = obj.get("spec") or {}
        selector = spec.get("selector")
        selector_errors = label_selector_errors(selector, "spec.selector")
        errors = list(selector_errors)
        # No selector is no error of its own here: it selects nothing, so the template labels never match.
        if not selector_errors and not selector_matches(selector, ((spec.get("template") or {}).get("metadata") or {}).get("labels")):
            errors += _template_label_errors(spec)
        if isinstance(selector, dict) and _selector_empty(selector):
            errors.append(FieldError("Invalid", "spec.selector", shown=go_label_selector(selector),
                                     detail="empty selector is invalid for daemonset"))
        errors += self.template_errors(spec, "DaemonSet")
        errors += _nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
        errors += self._update_strategy_errors(spec.get("updateStrategy") or {})
        errors += _nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
        errors += _status_errors(obj.get("status") or {}, ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled",
                                                           "numberReady", "observedGeneration", "updatedNumberScheduled",
                                                           "numberAvailable", "numberUnavailable", "collisionCount"), (), None)
        return errors + self.selector_immutable(spec, old)

    @staticmethod
    def _update_strategy_errors(strategy):
        kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
        path = "spec.updateStrategy"
        if kind == "OnDelete":
            return []
        if kind != "RollingUpdate":
            shown = "apps.DaemonSetUpdateStrategy{Type:%s, RollingUpdate:(*apps.RollingUpdateDaemonSet)(%s)}" % (
                go_quote(kind or ""), "nil" if rolling is None else "0xc000000000")
            return [FieldError("NotSupported", path, detail=["RollingUpdate", "OnDelete"], shown=shown)]
        if not isinstance(rolling, dict):
            return [FieldError("Required", path + ".rollingUpdate")]
        path += ".rollingUpdate"
        unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
        errors = _int_or_percent_errors(unavailable, path + ".maxUnavailable") + _int_or_percent_errors(surge, path + ".maxSurge")
        has_unavailable, has_surge = _int_or_percent_value(unavailable) != 0, _int_or_percent_value(surge) != 0
        if has_unavailable and has_surge:
            errors.append(FieldError("Invalid", path + ".maxSurge", shown=go_int_or_string(surge),
                                     detail="may not be set when maxUnavailable is non-zero"))
        elif not has_unavailable and not has_surge:
            errors.append(FieldError("Required", path + ".maxUnavailable", detail="cannot be 0 when maxSurge is 0"))
        return errors


class CrdStrategy(Strategy):
    def prepare_create(self, state, rt, obj):
        spec = obj.setdefault("spec", {})
        names = spec.setdefault("names", {})
        if names.get("kind"):
            names.setdefault("singular", names["kind"].lower())
            names.setdefault("listKind", names["kind"] + "List")
        spec.setdefault("conversion", {"strategy": "None"})
        for version in spec.get("versions") or []:
            if isinstance(version, dict):
                version.setdefault("served", True)
                version.setdefault("storage", False)
        obj["status"] = {}
        self._status(obj, None)

    def prepare_update(self, state, rt, obj, old):
        self.prepare_create(state, rt, obj)
        self._status(obj, old)

    @staticmethod
    def _status(obj, old):
        spec = obj["spec"]
        stored = list((old or {}).get("status", {}).get("storedVersions") or [])
        for version in spec.get("versions") or []:
            if isinstance(version, dict) and version.get("storage") and version.get("name") not in stored:
                stored.append(version.get("name"))
        stamp = now()
        obj["status"] = {
            "acceptedNames": copy.deepcopy(spec.get("names", {})),
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "lastTransitionTime": stamp, "reason": "NoConflicts",
                 "message": "no conflicts found"},
                {"type": "Established", "status": "True", "lastTransitionTime": stamp, "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted"},
            ],
            "storedVersions": stored,
        }
        if old is not None and old.get("status", {}).get("conditions"):
            obj["status"]["conditions"] = copy.deepcopy(old["status"]["conditions"])

    def validate(self, state, rt, obj, old):
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        errors = []
        group = spec.get("group") or ""
        if not group:
            errors.append(FieldError("Required", "spec.group"))
        elif "." not in group:
            errors.append(FieldError("Invalid", "spec.group", group, "should be a domain with at least one dot"))
        for key in ("plural", "kind"):
            if not names.get(key):
                errors.append(FieldError("Required", "spec.names." + key))
        if names.get("plural") and group and obj["metadata"]["name"] != "%s.%s" % (names["plural"], group):
            errors.append(FieldError("Invalid", "metadata.name", obj["metadata"]["name"], 'must be spec.names.plural+"."+spec.group'))
        if spec.get("scope") not in ("Cluster", "Namespaced"):
            errors.append(FieldError("NotSupported", "spec.scope", spec.get("scope", ""), ["Cluster", "Namespaced"]))
        versions = spec.get("versions") or []
        if sum(1 for v in versions if isinstance(v, dict) and v.get("storage")) != 1:
            errors.append(FieldError("Invalid", "spec.versions", versions or None, "must have exactly one version marked as storage version"))
        seen = set()
        for index, version in enumerate(versions):
            path = "spec.versions[%d]" % index
            if not isinstance(version, dict) or not version.get("name"):
                errors.append(FieldError("Required", path + ".name"))
                continue
            if version["name"] in seen:
                errors.append(FieldError("Duplicate", path + ".name", version["name"]))
            seen.add(version["name"])
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if not isinstance(schema, dict):
                errors.append(FieldError("Required", path + ".schema.openAPIV3Schema", detail="schemas are required"))
                continue
            try:
                compile_schema_rules(schema, path + ".schema.openAPIV3Schema")
            except CelUnsupported as exc:
                print("kube_apiserver: REFUSED CRD %s: %s" % (obj["metadata"].get("name"), exc), file=sys.stderr)
                raise ApiError(500, "InternalError", "kube_apiserver test double cannot check this CRD: %s" % exc) from None
        if old is not None and spec.get("scope") != (old.get("spec") or {}).get("scope"):
            errors.append(FieldError("Invalid", "spec.scope", spec.get("scope"), "field is immutable"))
        return errors

    def deleted(self, state, rt, obj):
        state.unregister_crd(obj)


class CustomResourceStrategy(Strategy):
    """Custom objects: the CRD's structural schema and its x-kubernetes-validations."""

    def validate(self, state, rt, obj, old):
        errors = []
        schema = rt.schema()
        validate_schema(obj, schema, "", errors)
        if not any("in body must be of type" in str(e.detail) for e in errors):  # CEL is skipped on type errors
            validate_cel(obj, old, old is not None, schema, "", errors)
        return errors


def builtin_types():
    core = ""
    return [
        ResourceType(core, ["v1"], "namespaces", "Namespace", False, NamespaceStrategy(), short_names=["ns"],
                     status_subresource=True, extra_subresources=["finalize"], merge_keys=NAMESPACE_MERGE_KEYS,
                     returns_deleted=True, field_selectors=["status.phase"]),
        ResourceType(core, ["v1"], "pods", "Pod", True, PodStrategy(), short_names=["po"], categories=["all"],
                     status_subresource=True, merge_keys=POD_MERGE_KEYS, returns_deleted=True,
                     field_selectors=["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                                      "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"]),
        ResourceType(core, ["v1"], "services", "Service", True, ServiceStrategy(), short_names=["svc"], categories=["all"],
                     status_subresource=True, merge_keys=SERVICE_MERGE_KEYS, returns_deleted=True),
        ResourceType(core, ["v1"], "secrets", "Secret", True, SecretStrategy(), field_selectors=["type"]),
        ResourceType(core, ["v1"], "configmaps", "ConfigMap", True, ConfigMapStrategy(), short_names=["cm"]),
        ResourceType("discovery.k8s.io", ["v1"], "endpointslices", "EndpointSlice", True, EndpointSliceStrategy(),
                     field_selectors=["addressType"]),
        ResourceType("apps", ["v1"], "deployments", "Deployment", True, DeploymentStrategy(), short_names=["deploy"],
                     categories=["all"], status_subresource=True, extra_subresources=["scale"], merge_keys=WORKLOAD_MERGE_KEYS),
        ResourceType("apps", ["v1"], "statefulsets", "StatefulSet", True, StatefulSetStrategy(), short_names=["sts"],
                     categories=["all"], status_subresource=True, extra_subresources=["scale"], merge_keys=WORKLOAD_MERGE_KEYS),
        ResourceType("apps", ["v1"], "daemonsets", "DaemonSet", True, DaemonSetStrategy(), short_names=["ds"],
                     categories=["all"], status_subresource=True, merge_keys=WORKLOAD_MERGE_KEYS),
        ResourceType("apiextensions.k8s.io", ["v1"], "customresourcedefinitions", "CustomResourceDefinition", False,
                     CrdStrategy(), short_names=["crd", "crds"], categories=["api-extensions"], status_subresource=True,
                     returns_deleted=True),
    ]


# ---------------------------------------------------------------------------------------------------------------------
# State and verbs

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def _strip_volatile(obj):
    """The object without what a no-op write may change (resourceVersion, managed-fields timestamps)."""
    obj = copy.deepcopy(obj)
    meta = obj.get("metadata", {})
    meta.pop("resourceVersion", None)
    for entry in meta.get("managedFields") or []:
        entry.pop("time", None)
    return obj


def _without(obj, keys):
    return {k: v for k, v in obj.items() if k not in keys}


class KubeState:
    """Registry of resource types and the objects, behind one lock."""

    def __init__(self):
        self.lock = threading.RLock()
        self.rv = 1
        self.types = {}
        self.objects = {}
        self.next_ip = 10
        self.next_node_port = 30000
        for rt in builtin_types():
            self.register(rt)
        for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.create(self.types[("", "namespaces")], "v1", None, {"metadata": {"name": name}}, {}, "kube-apiserver")

    # -- registry

    def register(self, rt):
        self.types[(rt.group, rt.plural)] = rt
        self.objects.setdefault((rt.group, rt.plural), {})

    def find(self, group, version, plural):
        rt = self.types.get((group, plural))
        if rt is None or version not in rt.versions:
            return None
        return rt

    def group_versions(self):
        """{group: [versions by priority]} of everything served."""
        groups = {}
        for rt in self.types.values():
            for version in rt.versions:
                if version not in groups.setdefault(rt.group, []):
                    groups[rt.group].append(version)
        return {g: sorted(vs, key=version_priority, reverse=True) for g, vs in groups.items()}

    def register_crd(self, crd):
        spec = crd["spec"]
        names = spec["names"]
        versions = [v for v in spec["versions"] if v.get("served", True)]
        storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
        status = any((v.get("subresources") or {}).get("status") is not None for v in versions)
        key = (spec["group"], names["plural"])
        existing = self.types.get(key)
        if existing is not None and existing.crd_name != crd["metadata"]["name"]:
            return
        self.register(ResourceType(
            spec["group"], [v["name"] for v in versions] or [storage], names["plural"], names["kind"],
            spec["scope"] == "Namespaced", CustomResourceStrategy(), singular=names.get("singular"),
            short_names=names.get("shortNames") or (), categories=names.get("categories") or (), status_subresource=status,
            merge_keys={}, crd_name=crd["metadata"]["name"], list_kind=names.get("listKind"), storage_version=storage,
            schemas={v["name"]: (v.get("schema") or {}).get("openAPIV3Schema") for v in spec["versions"]}))

    def unregister_crd(self, crd):
        key = (crd["spec"]["group"], crd["spec"]["names"]["plural"])
        rt = self.types.get(key)
        if rt is not None and rt.crd_name == crd["metadata"]["name"]:
            del self.types[key]
            self.objects.pop(key, None)

    def allocate_cluster_ip(self):
        self.next_ip += 1
        return "10.96.%d.%d" % (self.next_ip // 250, self.next_ip % 250 + 1)

    def allocate_node_port(self):
        self.next_node_port += 1
        return self.next_node_port

    def bump(self):
        self.rv += 1
        return str(self.rv)

    # -- helpers

    @staticmethod
    def served(rt, gv, obj, in_list=False):
        out = copy.deepcopy(obj)
        if in_list and not rt.crd_name:
            out.pop("apiVersion", None)
            out.pop("kind", None)
            return out
        out["apiVersion"] = gv
        out["kind"] = rt.kind
        return {"apiVersion": out.pop("apiVersion"), "kind": out.pop("kind"), **out}

    def _get(self, rt, ns, name):
        obj = self.objects.get((rt.group, rt.plural), {}).get((ns or "", name))
        if obj is None:
            raise not_found(rt, name)
        return obj

    def _check_namespace(self, ns, rt, name):
        """New content needs a namespace that exists and is not being deleted (the NamespaceLifecycle admission)."""
        if ns is None:
            return
        namespace = self.objects[("", "namespaces")].get(("", ns))
        if namespace is None:
            raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns, {"name": ns, "kind": "namespaces"})
        if namespace["metadata"].get("deletionTimestamp"):
            raise ApiError(403, "Forbidden", '%s "%s" is forbidden: unable to create new content in namespace %s because it is '
                           "being terminated" % (rt.group_resource, name, ns), _details(rt, name))

    def sweep_namespace(self, ns):
        """The namespace controller, at once: deletes what a Terminating namespace holds (objects with
        finalizers get a deletionTimestamp and stay) and removes the namespace once nothing is left."""
        namespace = self.objects[("", "namespaces")].get(("", ns))
        if namespace is None or not namespace["metadata"].get("deletionTimestamp"):
            return
        left = False
        for (group, plural), store in self.objects.items():
            for key in [k for k in store if k[0] == ns]:
                obj = store[key]
                if obj["metadata"].get("finalizers"):
                    left = True
                    if not obj["metadata"].get("deletionTimestamp"):
                        obj = store[key] = copy.deepcopy(obj)
                        obj["metadata"]["deletionTimestamp"] = now()
                        obj["metadata"]["deletionGracePeriodSeconds"] = 0
                        obj["metadata"]["resourceVersion"] = self.bump()
                else:
                    del store[key]
                    self.bump()
        if not left:
            del self.objects[("", "namespaces")][("", ns)]
            self.bump()

    @staticmethod
    def _decode(rt, obj, query, warnings):
        """What decoding does to a custom object: pruning unknown fields, then defaulting."""
        if not rt.crd_name or not rt.schema():
            return obj
        unknown = []
        prune(obj, rt.schema(), "", unknown)
        if unknown:
            if query.get("fieldValidation") == "Strict":
                raise bad_request("strict decoding error: " + ", ".join('unknown field "%s"' % u for u in unknown))
            if query.get("fieldValidation") != "Ignore":
                warnings.extend('unknown field "%s"' % u for u in unknown)
        apply_defaults(obj, rt.schema())
        return obj

    # -- verbs

    def get(self, rt, gv, ns, name):
        with self.lock:
            return 200, self.served(rt, gv, self._get(rt, ns, name))

    def list(self, rt, gv, ns, query):
        labels = parse_label_selector(query.get("labelSelector", ""))
        fields = parse_field_selector(query.get("fieldSelector", ""), rt)
        with self.lock:
            items = []
            for (obj_ns, _name), obj in sorted(self.objects.get((rt.group, rt.plural), {}).items()):
                if ns is not None and obj_ns != ns:
                    continue
                if labels_match(labels, obj["metadata"].get("labels")) and fields_match(fields, obj):
                    items.append(self.served(rt, gv, obj, in_list=True))
            return 200, {"kind": rt.list_kind, "apiVersion": gv, "metadata": {"resourceVersion": str(self.rv)}, "items": items}

    def create(self, rt, gv, ns, body, query, manager, warnings=None):
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be an object")
        with self.lock:
            self._check_body_type(rt, body)
            obj = copy.deepcopy(body)
            meta = obj.setdefault("metadata", {})
            if not isinstance(meta, dict):
                raise bad_request("metadata must be an object")
            if rt.namespaced:
                if meta.get("namespace") and meta["namespace"] != ns:
                    raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
                self._check_namespace(ns, rt, meta.get("name") or "")
            if meta.get("resourceVersion"):
                raise ApiError(500, "InternalError", "resourceVersion should not be set on objects to be created")
            if not meta.get("name"):
                if meta.get("generateName"):
                    meta["name"] = meta["generateName"] + "".join(secrets.choice(_NAME_CHARS) for _n in range(5))
                else:
                    raise invalid(rt, "", [FieldError("Required", "metadata.name", detail="name or generateName is required")])
            self._decode(rt, obj, query, warnings if warnings is not None else [])
            return self._write(rt, gv, ns, obj, None, None, manager, "Update", query, options_kind="CreateOptions")

    def update(self, rt, gv, ns, name, sub, body, query, manager, warnings=None):
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be an object")
        with self.lock:
            self._check_body_type(rt, body)
            old = self._get(rt, ns, name)
            obj = copy.deepcopy(body)
            self._check_identity(rt, ns, name, obj)
            self._decode(rt, obj, query, warnings if warnings is not None else [])
            return self._write(rt, gv, ns, obj, old, sub, manager, "Update", query, options_kind="UpdateOptions")

    def patch(self, rt, gv, ns, name, sub, content_type, raw, query, manager, warnings=None):
        ctype = (content_type or "").split(";")[0].strip().lower()
        if ctype == APPLY_PATCH:
            return self.apply(rt, gv, ns, name, sub, raw, query, warnings)
        if ctype not in (MERGE_PATCH, JSON_PATCH, STRATEGIC_PATCH) or (ctype == STRATEGIC_PATCH and rt.crd_name):
            accepted = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH] if rt.crd_name else [JSON_PATCH, MERGE_PATCH, APPLY_PATCH, STRATEGIC_PATCH]
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media "
                           "types include: " + ", ".join(accepted))
        patch = _load_json(raw)
        with self.lock:
            old = self._get(rt, ns, name)
            current = self.served(rt, gv, old)
            if ctype == MERGE_PATCH:
                if not isinstance(patch, dict):
                    raise bad_request("json: cannot unmarshal %s into Go value of type map[string]interface {}" % type_name(patch))
                patched = merge_patch(current, patch)
            elif ctype == JSON_PATCH:
                if not isinstance(patch, list) or not all(isinstance(op, dict) for op in patch):
                    raise bad_request("json: cannot unmarshal %s into Go value of type jsonpatch.Patch" % type_name(patch))
                try:
                    patched = json_patch(current, patch)
                except PatchFailed as exc:
                    raise ApiError(422, "Invalid", str(exc)) from None
            else:
                if not isinstance(patch, dict):
                    raise bad_request("json: cannot unmarshal %s into Go value of type map[string]interface {}" % type_name(patch))
                patched = strategic_merge(current, patch, rt.merge_keys)
            if not isinstance(patched, dict):
                raise bad_request("the patched object is not an object")
            self._check_identity(rt, ns, name, patched)
            self._decode(rt, patched, query, warnings if warnings is not None else [])
            return self._write(rt, gv, ns, patched, old, sub, manager, "Update", query)

    def apply(self, rt, gv, ns, name, sub, raw, query, warnings=None):
        manager = query.get("fieldManager")
        if not manager:
            raise ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for '
                           "apply patch", {"group": "meta.k8s.io", "kind": "PatchOptions", "causes": [
                               {"reason": "FieldValueRequired", "message": "Required value: is required for apply patch",
                                "field": "fieldManager"}]})
        try:
            config = yaml.load(raw.decode("utf-8") if raw else "", Loader=_YamlLoader)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise bad_request("error decoding YAML: %s" % exc) from None
        if not isinstance(config, dict):
            raise bad_request("error decoding YAML: the applied configuration must be an object")
        if not config.get("apiVersion") or not config.get("kind"):
            raise bad_request("invalid object type: %s, %s" % (config.get("apiVersion", ""), config.get("kind", "")))
        force = str(query.get("force", "")).lower() == "true"
        with self.lock:
            self._check_body_type(rt, config)
            config.setdefault("metadata", {})
            self._check_identity(rt, ns, name, config)
            config["metadata"].setdefault("name", name)
            unknown = []
            if rt.crd_name and rt.schema():
                prune(config, rt.schema(), "", unknown)
            if unknown and query.get("fieldValidation") == "Strict":
                raise bad_request("strict decoding error: " + ", ".join('unknown field "%s"' % u for u in unknown))
            if warnings is not None:
                warnings.extend('unknown field "%s"' % u for u in unknown)
            applied = owned_paths(config, rt, sub)
            stored = self.objects[(rt.group, rt.plural)].get((ns or "", name))
            if stored is None:
                if sub:
                    raise not_found(rt, name)
                if rt.namespaced:
                    self._check_namespace(ns, rt, name)
                obj = apply_merge({}, config, rt)
                obj["metadata"].pop("resourceVersion", None)
                self._decode(rt, obj, {"fieldValidation": "Ignore"}, [])
                return self._write(rt, gv, ns, obj, None, None, manager, "Apply", query, applied=applied)
            live = self.served(rt, gv, stored)
            entries = read_managed(stored)
            conflicts = []
            for path in sorted(applied):
                if path[-1].startswith("k:"):
                    continue
                live_found, live_value = value_at(live, path)
                if live_found and live_value == value_at(config, path)[1]:
                    continue
                for entry in entries:
                    if entry["manager"] != manager and any(overlaps(path, q) for q in entry["fields"]):
                        conflicts.append((entry, path))
            if conflicts and not force:
                raise _apply_conflict(conflicts)
            if sub == "status":
                obj = copy.deepcopy(live)
                if "status" in config:
                    obj["status"] = apply_merge(live.get("status"), config["status"], rt, ("status",))
            else:
                skip = {"status"} if rt.status_subresource else set()
                merged_meta = {k: v for k, v in config["metadata"].items() if k in METADATA_OWNED}
                obj = apply_merge(live, dict(_without(config, skip | {"metadata"}), metadata=merged_meta), rt)
                if config["metadata"].get("resourceVersion"):
                    obj["metadata"]["resourceVersion"] = config["metadata"]["resourceVersion"]
            previous = next((e["fields"] for e in entries if e["manager"] == manager and e["operation"] == "Apply"
                             and e["subresource"] == (sub or "")), set())
            others = [q for e in entries if e["manager"] != manager for q in e["fields"]]
            removed = []
            for path in sorted(previous - applied, key=len):  # outermost first: an item goes with its key fields
                if any(path[:len(done)] == done for done in removed):
                    continue
                if not any(q[:len(path)] == path or overlaps(path, q) for q in others):
                    delete_at(obj, path)
                    removed.append(path)
            self._decode(rt, obj, {"fieldValidation": "Ignore"}, [])
            forced = {path for _entry, path in conflicts}
            return self._write(rt, gv, ns, obj, stored, sub, manager, "Apply", query, applied=applied, forced=forced)

    # -- the scale subresource: an autoscaling/v1 Scale of a Deployment's or StatefulSet's spec.replicas

    @staticmethod
    def scale_of(obj):
        meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
        scale = {"kind": "Scale", "apiVersion": "autoscaling/v1",
                 "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta},
                 "spec": {}, "status": {"replicas": status.get("replicas") or 0}}
        if spec.get("replicas"):
            scale["spec"]["replicas"] = spec["replicas"]  # omitempty: a zero is left out
        selector = selector_string(spec.get("selector"))
        if selector:
            scale["status"]["selector"] = selector
        return scale

    def get_scale(self, rt, ns, name):
        with self.lock:
            return 200, self.scale_of(self._get(rt, ns, name))

    def update_scale(self, rt, gv, ns, name, body, query, manager, options_kind="UpdateOptions"):
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be an object")
        with self.lock:
            stored = self._get(rt, ns, name)
            wanted = (body.get("metadata") or {}).get("resourceVersion")
            if wanted and wanted != stored["metadata"]["resourceVersion"]:
                raise conflict(rt, name)
            replicas = (body.get("spec") or {}).get("replicas") or 0
            if not isinstance(replicas, int) or isinstance(replicas, bool):
                raise bad_request("Scale in version \"v1\" cannot be handled as a Scale: spec.replicas must be an integer")
            if replicas < 0:
                error = FieldError("Invalid", "spec.replicas", replicas, "must be greater than or equal to 0")
                raise ApiError(422, "Invalid", 'Scale.autoscaling "%s" is invalid: %s' % (name, error.error()),
                               {"name": name, "group": "autoscaling", "kind": "Scale", "causes": [error.cause()]})
            obj = self.served(rt, gv, stored)
            obj["spec"]["replicas"] = replicas
            _code, written = self._write(rt, gv, ns, obj, stored, "scale", manager, "Update", query, options_kind=options_kind)
            return 200, self.scale_of(written)

    def patch_scale(self, rt, gv, ns, name, content_type, raw, query, manager):
        ctype = (content_type or "").split(";")[0].strip().lower()
        if ctype not in (MERGE_PATCH, JSON_PATCH, STRATEGIC_PATCH):
            raise ApiError(415, "UnsupportedMediaType", "the kube_apiserver test double patches a scale subresource with "
                           "merge, JSON or strategic merge patches only")
        patch = _load_json(raw)
        with self.lock:
            current = self.scale_of(self._get(rt, ns, name))
            if ctype == JSON_PATCH:
                if not isinstance(patch, list) or not all(isinstance(op, dict) for op in patch):
                    raise bad_request("json: cannot unmarshal %s into Go value of type jsonpatch.Patch" % type_name(patch))
                try:
                    patched = json_patch(current, patch)
                except PatchFailed as exc:
                    raise ApiError(422, "Invalid", str(exc)) from None
            elif not isinstance(patch, dict):
                raise bad_request("json: cannot unmarshal %s into Go value of type map[string]interface {}" % type_name(patch))
            else:
                patched = merge_patch(current, patch) if ctype == MERGE_PATCH else strategic_merge(current, patch, {})
            return self.update_scale(rt, gv, ns, name, patched, query, manager, options_kind="PatchOptions")

    def delete(self, rt, gv, ns, name, query, options):
        dry = _dry_run(query, options, "DeleteOptions")
        with self.lock:
            obj = self._get(rt, ns, name)
            pre = (options or {}).get("preconditions") or {}
            if pre.get("uid") and pre["uid"] != obj["metadata"]["uid"]:
                raise conflict(rt, name, "Precondition failed: UID in precondition: %s, UID in object meta: %s"
                               % (pre["uid"], obj["metadata"]["uid"]))
            if pre.get("resourceVersion") and pre["resourceVersion"] != obj["metadata"]["resourceVersion"]:
                raise conflict(rt, name, "Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object "
                               "meta: %s" % (pre["resourceVersion"], obj["metadata"]["resourceVersion"]))
            if obj["metadata"].get("finalizers"):
                out = copy.deepcopy(obj)
                if not out["metadata"].get("deletionTimestamp"):
                    out["metadata"]["deletionTimestamp"] = now()
                    out["metadata"]["deletionGracePeriodSeconds"] = 0
                    if not dry:
                        out["metadata"]["resourceVersion"] = self.bump()
                        self.objects[(rt.group, rt.plural)][(ns or "", name)] = out
                return 200, self.served(rt, gv, out)
            out = copy.deepcopy(obj)
            if rt.plural == "namespaces" and not rt.group:
                # Terminating until the namespace controller has deleted what it holds.
                if not out["metadata"].get("deletionTimestamp"):
                    out["metadata"]["deletionTimestamp"] = now()
                    out["metadata"]["deletionGracePeriodSeconds"] = 0
                    out["status"] = {"phase": "Terminating"}
                    if not dry:
                        out["metadata"]["resourceVersion"] = self.bump()
                        self.objects[("", "namespaces")][("", name)] = out
                        self.sweep_namespace(name)
                return 200, self.served(rt, gv, out)
            if not dry:
                self._remove(rt, ns, name)
            if rt.returns_deleted:
                return 200, self.served(rt, gv, out)
            details = _details(rt, name)
            details["uid"] = obj["metadata"]["uid"]
            return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    def delete_collection(self, rt, gv, ns, query, options):
        _status, listing = self.list(rt, gv, ns, query)
        with self.lock:
            deleted = []
            for item in listing["items"]:
                try:
                    self.delete(rt, gv, item["metadata"].get("namespace"), item["metadata"]["name"], query, options)
                    deleted.append(item)
                except ApiError as exc:
                    if exc.code != 404:
                        raise
            listing["items"] = deleted
            return 200, listing

    # -- internals

    def _remove(self, rt, ns, name):
        obj = self.objects[(rt.group, rt.plural)].pop((ns or "", name))
        self.bump()
        rt.strategy.deleted(self, rt, obj)
        if ns:
            self.sweep_namespace(ns)  # its last finalizer may have held a Terminating namespace

    def _check_body_type(self, rt, body):
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if api_version and api_version not in [rt.api_version(v) for v in rt.versions]:
            raise bad_request("the API version in the data (%s) does not match the expected API version (%s)"
                              % (api_version, rt.api_version()))
        if kind and kind != rt.kind:
            raise bad_request("the kind in the data (%s) does not match the expected kind (%s)" % (kind, rt.kind))

    @staticmethod
    def _check_identity(rt, ns, name, obj):
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            obj["metadata"] = meta = {}
        if meta.get("name") and meta["name"] != name:
            raise bad_request("the name of the object (%s) does not match the name on the URL (%s)" % (meta["name"], name))
        if rt.namespaced and meta.get("namespace") and meta["namespace"] != ns:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
        meta["name"] = name

    def _write(self, rt, gv, ns, obj, old, sub, manager, operation, query, applied=None, forced=(), options_kind="PatchOptions"):
        """Create (old is None) or update: status handling, strategy, validation, generation, managedFields, storage."""
        dry = _dry_run(query, None, options_kind)
        meta = obj.setdefault("metadata", {})
        obj["apiVersion"] = rt.api_version()
        obj["kind"] = rt.kind
        if rt.namespaced:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        if old is None:
            for key in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
                        "managedFields", "resourceVersion", "selfLink"):
                meta.pop(key, None)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now()
            if rt.crd_name or rt.plural == "customresourcedefinitions" or rt.strategy.sets_generation:
                meta["generation"] = 1
            if rt.status_subresource and rt.crd_name:
                obj.pop("status", None)
            rt.strategy.prepare_create(self, rt, obj)
        else:
            if meta.get("resourceVersion") and meta["resourceVersion"] != old["metadata"]["resourceVersion"]:
                raise conflict(rt, meta["name"])
            if sub == "status":
                status = obj.get("status")
                obj = copy.deepcopy(old)
                obj["apiVersion"] = rt.api_version()
                if status is None:
                    obj.pop("status", None)
                else:
                    obj["status"] = status
                meta = obj["metadata"]
            else:
                for key in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
                    if key in old["metadata"]:
                        meta[key] = old["metadata"][key]
                    else:
                        meta.pop(key, None)
                if rt.status_subresource:
                    if "status" in old:
                        obj["status"] = copy.deepcopy(old["status"])
                    else:
                        obj.pop("status", None)
                rt.strategy.prepare_update(self, rt, obj, old)
            meta["resourceVersion"] = old["metadata"]["resourceVersion"]
            meta.pop("managedFields", None)
            if old["metadata"].get("managedFields"):
                meta["managedFields"] = copy.deepcopy(old["metadata"]["managedFields"])
            if old["metadata"].get("deletionTimestamp") and len(meta.get("finalizers") or []) > len(
                    [f for f in meta.get("finalizers") or [] if f in (old["metadata"].get("finalizers") or [])]):
                raise invalid(rt, meta["name"], [FieldError("Forbidden", "metadata.finalizers",
                                                            detail="no new finalizers can be added if the object is being deleted")])
        errors = validate_metadata(rt, obj) + rt.strategy.validate(self, rt, obj, old)
        if errors:
            raise invalid(rt, meta.get("name", ""), errors)
        if old is None and (ns or "", meta["name"]) in self.objects[(rt.group, rt.plural)]:
            raise already_exists(rt, meta["name"])
        if old is not None and "generation" in meta:
            skip = {"metadata", "status"} if rt.status_subresource else {"metadata"}
            if _without(obj, skip | {"apiVersion"}) != _without(old, skip | {"apiVersion"}):
                meta["generation"] = old["metadata"]["generation"] + 1
        self._track_fields(rt, gv, obj, old, sub, manager, operation, applied, forced)
        if old is not None and _strip_volatile(obj) == _strip_volatile(old):
            return 200, self.served(rt, gv, old)
        if not dry:
            meta["resourceVersion"] = self.bump()
            self.objects[(rt.group, rt.plural)][(ns or "", meta["name"])] = obj
            if rt.group == "apiextensions.k8s.io" and rt.plural == "customresourcedefinitions":
                self.register_crd(obj)
            if meta.get("deletionTimestamp") and not meta.get("finalizers"):
                self._remove(rt, ns, meta["name"])
        else:
            if old is None:
                meta.pop("resourceVersion", None)
        return (201 if old is None else 200), self.served(rt, gv, obj)

    def _track_fields(self, rt, gv, obj, old, sub, manager, operation, applied, forced):
        entries = read_managed(old) if old is not None else []
        subresource = sub or ""
        stamp = now()
        if operation == "Apply":
            for entry in entries:
                if entry["manager"] != manager:
                    entry["fields"] = {q for q in entry["fields"] if not any(overlaps(p, q) for p in forced)}
            mine = next((e for e in entries if e["manager"] == manager and e["operation"] == "Apply"
                         and e["subresource"] == subresource), None)
            if mine is None:
                mine = {"manager": manager, "operation": "Apply", "subresource": subresource, "fields": set()}
                entries.append(mine)
            if mine["fields"] != applied:
                mine["time"] = stamp
            mine.update(fields=set(applied), apiVersion=gv)
            mine.setdefault("time", stamp)
        else:
            new_paths = owned_paths(obj, rt, sub)
            old_paths = owned_paths(old, rt, sub) if old is not None else set()
            changed = {p for p in new_paths if p not in old_paths or (not p[-1].startswith("k:") and value_at(obj, p) != value_at(old, p))}
            removed = old_paths - new_paths
            for entry in entries:
                if entry["manager"] != manager or entry["operation"] != "Update":
                    entry["fields"] = {q for q in entry["fields"] if not any(overlaps(p, q) for p in changed | removed)}
            if changed:
                mine = next((e for e in entries if e["manager"] == manager and e["operation"] == "Update"
                             and e["subresource"] == subresource), None)
                if mine is None:
                    mine = {"manager": manager, "operation": "Update", "subresource": subresource, "fields": set()}
                    entries.append(mine)
                mine["fields"] = (mine["fields"] - removed) | changed
                mine.update(time=stamp, apiVersion=gv)
        for entry in entries:
            entry["fields"] = {p for p in entry["fields"] if value_at(obj, p)[0]}
        write_managed(obj, entries)


def _manager_text(entry):
    """A manager as conflict messages name it: an applier by name, an updater with its apiVersion."""
    text = go_quote(entry["manager"])
    if entry["subresource"]:
        text += " with subresource %s" % go_quote(entry["subresource"])
    if entry["operation"] == "Update":
        text += " using %s" % entry["apiVersion"]
    return text


def _apply_conflict(conflicts):
    count = len(conflicts)
    if count == 1:
        entry, path = conflicts[0]
        message = "conflict with %s: %s" % (_manager_text(entry), _path_text(path))
    else:
        by_manager = {}
        for entry, path in conflicts:
            by_manager.setdefault(_manager_text(entry), []).append(_path_text(path))
        lines = []
        for manager in sorted(by_manager):
            lines.append("conflicts with %s:" % manager)
            lines += ["- " + path for path in by_manager[manager]]
        message = "\n".join(lines)
    causes = [{"reason": "FieldManagerConflict", "message": "conflict with %s" % _manager_text(e), "field": _path_text(p)}
              for e, p in conflicts]
    return ApiError(409, "Conflict", "Apply failed with %d conflict%s: %s" % (count, "" if count == 1 else "s", message),
                    {"causes": causes})


def _dry_run(query, options, options_kind):
    """Whether the write is a dry run. Another value than All fails the request options'
    validation (ValidateDryRun): 422 on meta.k8s.io ``options_kind`` (CreateOptions, ...)."""
    values = [v for v in (query.get("dryRun"),) if v] + list((options or {}).get("dryRun") or [])
    if any(value != "All" for value in values):
        error = FieldError("NotSupported", "dryRun", values, ["All"], shown="[]string{%s}" % ", ".join(go_quote(v) for v in values))
        details = {"group": "meta.k8s.io", "kind": options_kind, "causes": [error.cause()]}
        raise ApiError(422, "Invalid", '%s.meta.k8s.io "" is invalid: %s' % (options_kind, error.error()), details)
    return bool(values)


def _load_json(raw):
    try:
        return json.loads(raw.decode("utf-8") if raw else "null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request("error decoding patch: %s" % exc) from None


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader without timestamps (sigs.k8s.io/yaml keeps them strings)."""


_YamlLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# ---------------------------------------------------------------------------------------------------------------------
# HTTP

NOT_FOUND_PATH = ApiError(404, "NotFound", "the server could not find the requested resource", {})


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-apiserver-double"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no delayed-ACK stalls

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_PATCH(self):
        self._serve("PATCH")

    def do_DELETE(self):
        self._serve("DELETE")

    def _serve(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        warnings = []
        try:
            token = self.server.token
            if token is not None and self.headers.get("Authorization") != "Bearer " + token:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            url = urllib.parse.urlsplit(self.path)
            query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
            if url.path in ("/healthz", "/readyz", "/livez"):
                self._send(200, b"ok", "text/plain; charset=utf-8")
                return
            code, body = self._route(method, url.path, query, raw, warnings)
        except ApiError as exc:
            code, body = exc.code, exc.status()
        except Exception as exc:  # pylint: disable=broad-except
            import traceback
            traceback.print_exc()
            code, body = 500, ApiError(500, "InternalError", "kube_apiserver test double failed: %r" % exc).status()
        headers = {"Warning": ", ".join('299 - "%s"' % w.replace('"', '\\"') for w in warnings)} if warnings else {}
        self._send(code, json.dumps(body).encode(), "application/json", headers)

    def _send(self, code, data, content_type, headers=None):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Audit-Id", str(uuid.uuid4()))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _manager(self, query):
        manager = query.get("fieldManager")
        if manager:
            if len(manager) > 128:
                raise bad_request("fieldManager: Too long: must have at most 128 bytes")
            return manager
        agent = self.headers.get("User-Agent") or ""
        return agent.split("/")[0][:128] or "unknown"

    def _route(self, method, path, query, raw, warnings):
        state = self.server.state
        parts = [p for p in path.split("/") if p]
        if parts == ["version"] and method == "GET":
            return 200, dict(KUBE_VERSION)
        if not parts or parts[0] not in ("api", "apis"):
            raise NOT_FOUND_PATH
        with state.lock:
            groups = state.group_versions()
        if parts[0] == "api":
            if len(parts) == 1:
                return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": "%s:%d" % self.server.server_address[:2]}]}
            group, version, rest = "", parts[1], parts[2:]
        else:
            if len(parts) == 1:
                return 200, {"kind": "APIGroupList", "apiVersion": "v1",
                             "groups": [_group_entry(g, vs) for g, vs in sorted(groups.items()) if g]}
            if len(parts) == 2:
                if parts[1] not in groups or not parts[1]:
                    raise NOT_FOUND_PATH
                return 200, dict(_group_entry(parts[1], groups[parts[1]]), kind="APIGroup", apiVersion="v1")
            group, version, rest = parts[1], parts[2], parts[3:]
        if version not in groups.get(group, []):
            raise NOT_FOUND_PATH
        gv = "%s/%s" % (group, version) if group else version
        if not rest:
            if method != "GET":
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            with state.lock:
                resources = [entry for rt in sorted(state.types.values(), key=lambda r: r.plural)
                             if rt.group == group and version in rt.versions for entry in rt.discovery()]
            return 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            candidate = state.find(group, version, rest[2])
            if candidate is not None and candidate.namespaced:
                ns, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise NOT_FOUND_PATH
        rt = state.find(group, version, rest[0])
        if rt is None:
            raise NOT_FOUND_PATH
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if (not rt.namespaced and ns is not None) or (rt.namespaced and ns is None and (name is not None or method == "POST")):
            raise NOT_FOUND_PATH
        if sub is not None and not ((sub == "status" and rt.status_subresource) or sub in rt.extra_subresources):
            raise NOT_FOUND_PATH
        if sub is not None and sub not in ("status", "scale"):
            raise ApiError(405, "MethodNotAllowed", "the %s subresource is not implemented by the kube_apiserver test double" % sub)
        if str(query.get("watch", "")).lower() in ("true", "1"):
            raise ApiError(405, "MethodNotAllowed", "watch is not implemented by the kube_apiserver test double")
        if sub == "scale":
            if method == "GET":
                return state.get_scale(rt, ns, name)
            if method == "PUT":
                return state.update_scale(rt, gv, ns, name, _load_body(raw, self.headers.get("Content-Type")), query,
                                          self._manager(query))
            if method == "PATCH":
                manager = query.get("fieldManager") or self._manager(query)
                return state.patch_scale(rt, gv, ns, name, self.headers.get("Content-Type"), raw, query, manager)
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if method == "GET":
            return state.get(rt, gv, ns, name) if name else state.list(rt, gv, ns, query)
        if method == "POST" and name is None:
            return state.create(rt, gv, ns, _load_body(raw, self.headers.get("Content-Type")), query, self._manager(query), warnings)
        if method == "PUT" and name:
            return state.update(rt, gv, ns, name, sub, _load_body(raw, self.headers.get("Content-Type")), query,
                                self._manager(query), warnings)
        if method == "PATCH" and name:
            manager = query.get("fieldManager") or self._manager(query)
            return state.patch(rt, gv, ns, name, sub, self.headers.get("Content-Type"), raw, query, manager, warnings)
        if method == "DELETE" and sub is None:
            options = _load_body(raw, "application/json") if raw.strip() else {}
            if name:
                return state.delete(rt, gv, ns, name, query, options)
            return state.delete_collection(rt, gv, ns, query, options)
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def _group_entry(group, versions):
    listed = [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def _load_body(raw, content_type):
    ctype = (content_type or "application/json").split(";")[0].strip().lower()
    try:
        if "yaml" in ctype:
            return yaml.load(raw.decode("utf-8"), Loader=_YamlLoader)
        return json.loads(raw.decode("utf-8") if raw else "null")
    except (ValueError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise bad_request("couldn't get version/kind; json parse error: %s" % exc) from None


class _HttpServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class KubeApiServer:
    """The test double: ``start()``, ``stop()``, ``url``, ``write_kubeconfig()``; a context manager too."""

    def __init__(self, host="127.0.0.1", port=0, token=None, verbose=False):
        self.host = host
        self.port = port
        self.token = token
        self.verbose = verbose
        self.state = KubeState()
        self._httpd = None
        self._thread = None

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    def start(self):
        self._httpd = _HttpServer((self.host, self.port), _Handler)
        self._httpd.state = self.state
        self._httpd.token = self.token
        self._httpd.verbose = self.verbose
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="kube-apiserver-double", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=10)
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def write_kubeconfig(self, path, namespace=None):
        context = {"cluster": "kubedc-double", "user": "kubedc-double"}
        if namespace:
            context["namespace"] = namespace
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "kubedc-double", "cluster": {"server": self.url}}],
            "users": [{"name": "kubedc-double", "user": {"token": self.token} if self.token else {}}],
            "contexts": [{"name": "kubedc-double", "context": context}],
            "current-context": "kubedc-double",
            "preferences": {},
        }
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(config, handle, default_flow_style=False)
        return path

    def create(self, obj):
        """Creates one object (a dict with apiVersion and kind) directly, e.g. to preload CRDs."""
        group, _sep, version = obj["apiVersion"].rpartition("/")
        with self.state.lock:
            rt = next((t for t in self.state.types.values() if t.group == group and t.kind == obj["kind"]
                       and version in t.versions), None)
            if rt is None:
                raise ValueError("no resource for %s %s" % (obj["apiVersion"], obj["kind"]))
            namespace = obj.get("metadata", {}).get("namespace") if rt.namespaced else None
            try:
                return self.state.create(rt, obj["apiVersion"], namespace, obj, {}, "kube_apiserver")[1]
            except ApiError as exc:
                raise ValueError(exc.message) from None

    def load_manifests(self, path):
        with open(path, encoding="utf-8") as handle:
            return [self.create(doc) for doc in yaml.load_all(handle, Loader=_YamlLoader) if doc]


def _default_rolling_update(spec, field, rolling_defaults):
    """Default a Deployment's ``strategy`` or a DaemonSet's ``updateStrategy``: type RollingUpdate,
    and, for that type, the ``rollingUpdate`` fields of ``rolling_defaults`` left unset."""
    if not isinstance(spec.get(field), dict):
        spec[field] = {}
    strategy = spec[field]
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        if not isinstance(strategy.get("rollingUpdate"), dict):
            strategy["rollingUpdate"] = {}
        for key, value in rolling_defaults:
            if strategy["rollingUpdate"].get(key) is None:
                strategy["rollingUpdate"][key] = value


def _workload_selector_errors(selector, kind_word, invalid_detail):
    """The errors of a Deployment's or StatefulSet's spec.selector, worded as the real server
    words them for that kind (``invalid_detail``: the detail of its closing Invalid, if any)."""
    errors = []
    selector_errors = label_selector_errors(selector, "spec.selector")
    if selector is None:
        errors.append(FieldError("Required", "spec.selector"))
    else:
        errors += selector_errors
        if _selector_empty(selector):
            errors.append(FieldError("Invalid", "spec.selector", shown=go_label_selector(selector),
                                     detail="empty selector is invalid for {0}".format(kind_word)))
    if selector_errors:
        extra = dict(detail=invalid_detail) if invalid_detail else {}
        errors.append(FieldError("Invalid", "spec.selector", shown=go_label_selector(selector), **extra))
    return errors


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve the Kubernetes API-server test double until killed.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--kubeconfig", help="write a kubeconfig for the server here")
    parser.add_argument("--namespace", help="namespace of the kubeconfig's context")
    parser.add_argument("--token", help="bearer token to require (default: none; kubectl sends no token over plain HTTP)")
    parser.add_argument("--crd", action="append", default=[], help="a manifest (e.g. CRDs) to load at start; repeatable")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    server = KubeApiServer(args.host, args.port, args.token, verbose=args.verbose)
    for path in args.crd:
        server.load_manifests(path)
    server.start()
    if args.kubeconfig:
        server.write_kubeconfig(args.kubeconfig, args.namespace)
    print("kube_apiserver: serving %s" % server.url, flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_args: done.set())
    while not done.wait(3600):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
