"""Fields that describe where the process runs, computed once, for ``static_fields``.

``kubernetes()`` reads what the Kubernetes downward API gives a container (environment
variables from ``fieldRef``, the ``labels`` and ``annotations`` files of a ``downwardAPI``
volume) and the service account's namespace file, and names the result with the OpenTelemetry
semantic conventions (``k8s.pod.name``, ``k8s.namespace.name``, ...). Pass it to
``configure(static_fields=...)``: every JSON line then carries the fields at no per-record
cost (``docs/platforms/kubernetes.md``).

Sources: kubernetes/website ``content/en/docs/concepts/workloads/pods/downward-api.md`` (what
``fieldRef`` and the volume expose: the container's name is not among them), kubernetes/
kubernetes ``pkg/fieldpath/fieldpath.go`` ``FormatMap`` (the volume's ``key="value"`` lines,
the value quoted by Go's ``%q``), kubernetes/website ``reference/labels-annotations-taints``
(the labels the owner is inferred from), opentelemetry semantic conventions
``k8s_attributes`` (the names).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Final
from urllib.parse import unquote

from . import _diagnostics

__all__ = ["DEFAULT_LABELS", "NAMESPACE_FILE", "PODINFO", "kubernetes"]

#: The labels ``kubernetes()`` copies by default (``k8s.pod.label.<key>``): the recommended
#: ``app.kubernetes.io`` ones that say what runs, not the controller's bookkeeping.
DEFAULT_LABELS: Final = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
)
PODINFO: Final = "/etc/podinfo"
NAMESPACE_FILE: Final = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

# Each field's environment variables, first found wins: the K8S_ names some charts use, then
# the names of the manifest in docs/platforms/kubernetes/deployment.yaml.
_ENV: Final = (
    ("k8s.pod.name", ("K8S_POD_NAME", "POD_NAME")),
    ("k8s.namespace.name", ("K8S_NAMESPACE", "K8S_NAMESPACE_NAME", "POD_NAMESPACE")),
    ("k8s.node.name", ("K8S_NODE_NAME", "NODE_NAME")),
    ("k8s.container.name", ("K8S_CONTAINER_NAME", "CONTAINER_NAME")),
    ("k8s.pod.uid", ("K8S_POD_UID", "POD_UID")),
)
_POD: Final = ("k8s.pod.name", "k8s.namespace.name", "k8s.pod.uid")
_MAX_FILE: Final = 256 * 1024  # the API server caps all annotations at 256 KiB

_cache: dict[str, str] | None = None
_cache_lock = threading.Lock()


def kubernetes(
    *,
    environ: Mapping[str, str] | None = None,
    podinfo: str | os.PathLike[str] = PODINFO,
    namespace_file: str | os.PathLike[str] = NAMESPACE_FILE,
    labels: Iterable[str] = DEFAULT_LABELS,
    annotations: Iterable[str] = (),
) -> dict[str, str]:
    """The pod's identity as OpenTelemetry names, for ``configure(static_fields=...)``.

    ``k8s.pod.name``, ``k8s.namespace.name``, ``k8s.node.name``, ``k8s.container.name`` and
    ``k8s.pod.uid`` come from the environment (``POD_NAME``, ``POD_NAMESPACE``, ``NODE_NAME``,
    ``CONTAINER_NAME``, ``POD_UID``, or the same with a ``K8S_`` prefix, or ``k8s.*`` entries
    of ``OTEL_RESOURCE_ATTRIBUTES``); the pod name falls back to ``HOSTNAME`` and the
    namespace to the service account's namespace file when ``KUBERNETES_SERVICE_HOST`` says
    the process runs in a cluster. The owner (``k8s.replicaset.name`` and
    ``k8s.deployment.name``, ``k8s.statefulset.name``, ``k8s.daemonset.name``,
    ``k8s.job.name``, ``k8s.cronjob.name``) is inferred from the labels Kubernetes sets on
    the pods it creates, when the labels file is mounted; the selected labels and annotations
    are copied as ``k8s.pod.label.<key>`` and ``k8s.pod.annotation.<key>``.

    Called without arguments, it reads once per process and returns a copy of that result
    afterwards; any argument reads again (tests, another mount point). Outside Kubernetes it
    returns ``{}``. It never raises: a file that cannot be read or parsed is reported on
    stderr (``fastlog: enrich: ...``, counted in ``stats()["errors_by_kind"]``) and its
    fields are left out.

    Args:
        environ: The environment to read (``os.environ`` by default).
        podinfo: The directory of the ``downwardAPI`` volume (``labels`` and ``annotations``
            files).
        namespace_file: The service account's namespace file.
        labels: The label keys to copy as ``k8s.pod.label.<key>``.
        annotations: The annotation keys to copy as ``k8s.pod.annotation.<key>``.

    Returns:
        The fields found, as text; ``{}`` outside Kubernetes.
    """
    global _cache
    default = (
        environ is None
        and podinfo == PODINFO
        and namespace_file == NAMESPACE_FILE
        and labels == DEFAULT_LABELS
        and annotations == ()
    )
    if default:
        with _cache_lock:
            if _cache is None:
                _cache = _read(os.environ, podinfo, namespace_file, labels, annotations)
            return dict(_cache)
    return _read(
        os.environ if environ is None else environ, podinfo, namespace_file, labels, annotations
    )


def _read(
    environ: Mapping[str, str],
    podinfo: str | os.PathLike[str],
    namespace_file: str | os.PathLike[str],
    labels: Iterable[str],
    annotations: Iterable[str],
) -> dict[str, str]:
    try:
        return _gather(environ, podinfo, namespace_file, tuple(labels), tuple(annotations))
    except Exception as exc:  # never raises: an unexpected failure leaves the fields out
        _diagnostics.report("enrich", f"kubernetes(): {type(exc).__name__}: {exc}")
        return {}


def _gather(
    environ: Mapping[str, str],
    podinfo: str | os.PathLike[str],
    namespace_file: str | os.PathLike[str],
    labels: tuple[str, ...],
    annotations: tuple[str, ...],
) -> dict[str, str]:
    in_cluster = bool(environ.get("KUBERNETES_SERVICE_HOST"))
    otel = _otel_attributes(environ.get("OTEL_RESOURCE_ATTRIBUTES", ""))
    out: dict[str, str] = {}
    for name, variables in _ENV:
        value = next((environ[v] for v in variables if environ.get(v)), None) or otel.get(name)
        if value:
            out[name] = value
    if in_cluster and "k8s.pod.name" not in out and environ.get("HOSTNAME"):
        out["k8s.pod.name"] = environ["HOSTNAME"]  # a pod's hostname is its name by default
    if in_cluster and "k8s.namespace.name" not in out:
        namespace = _read_file(namespace_file)
        if namespace and namespace.strip():
            out["k8s.namespace.name"] = namespace.strip()
    pod_labels = _podinfo_file(os.path.join(podinfo, "labels"))
    # A container or node name alone is no sign of Kubernetes (CONTAINER_NAME is common
    # elsewhere): the cluster's own variable, the pod's identity or its labels file are.
    if not (in_cluster or pod_labels or any(name in out for name in _POD)):
        return {}
    for kind in ("deployment", "replicaset", "statefulset", "daemonset", "job", "cronjob"):
        name = f"k8s.{kind}.name"
        if name in otel:
            out.setdefault(name, otel[name])
    for name, value in _owners(out.get("k8s.pod.name", ""), pod_labels).items():
        out.setdefault(name, value)
    for key in labels:
        if key in pod_labels:
            out[f"k8s.pod.label.{key}"] = pod_labels[key]
    if annotations:
        pod_annotations = _podinfo_file(os.path.join(podinfo, "annotations"))
        for key in annotations:
            if key in pod_annotations:
                out[f"k8s.pod.annotation.{key}"] = pod_annotations[key]
    return out


def _otel_attributes(text: str) -> dict[str, str]:
    """The ``k8s.*`` entries of ``OTEL_RESOURCE_ATTRIBUTES`` (``key=value,...``, values
    percent-encoded, as the OpenTelemetry SDK reads them)."""
    out = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key = key.strip()
        if sep and key.startswith("k8s.") and value.strip():
            out[key] = unquote(value.strip())
    return out


def _owners(pod: str, labels: Mapping[str, str]) -> dict[str, str]:
    """The pod's controllers, from the labels their controllers set and its name.

    - ``pod-template-hash`` H and a name ``<x>-<H>-<suffix>``: ReplicaSet ``<x>-<H>`` of
      Deployment ``<x>`` (a ReplicaSet made by hand has no hash label).
    - ``statefulset.kubernetes.io/pod-name``: StatefulSet, the name without ``-<ordinal>``.
    - ``controller-revision-hash`` and ``pod-template-generation``: DaemonSet, the name
      without its last ``-<suffix>``.
    - ``batch.kubernetes.io/job-name`` (or ``job-name``): Job; a Job named
      ``<cron>-<8 or more digits>`` (the scheduled minute) is taken as CronJob ``<cron>``'s,
      on a best-effort basis.
    """
    out: dict[str, str] = {}
    template_hash = labels.get("pod-template-hash")
    if template_hash and pod.count("-") >= 2:
        head, _, _ = pod.rpartition("-")
        if head.endswith("-" + template_hash):
            out["k8s.replicaset.name"] = head
            out["k8s.deployment.name"] = head[: -len(template_hash) - 1]
    if "statefulset.kubernetes.io/pod-name" in labels:
        member = labels["statefulset.kubernetes.io/pod-name"] or pod
        index = labels.get("apps.kubernetes.io/pod-index")
        head, _, ordinal = member.rpartition("-")
        if head and ordinal.isdigit() and (index is None or index == ordinal):
            out["k8s.statefulset.name"] = head
    if "controller-revision-hash" in labels and "pod-template-generation" in labels:
        head, _, _ = pod.rpartition("-")
        if head:
            out["k8s.daemonset.name"] = head
    job = labels.get("batch.kubernetes.io/job-name") or labels.get("job-name")
    if job:
        out["k8s.job.name"] = job
        cron = re.fullmatch(r"(.+)-\d{8,}", job)
        if cron:
            out["k8s.cronjob.name"] = cron.group(1)
    return out


# Go's %q: strconv.Quote. Printable runes as they are; \a \b \f \n \r \t \v \\ \"; other
# runes as \uXXXX or \UXXXXXXXX; bytes that are not UTF-8 as \xNN. Octal \NNN is valid in a Go
# literal too. (codecs' unicode_escape would read the UTF-8 of printable runes as Latin-1.)
_ESCAPE: Final = re.compile(
    r'\\(?:([abfnrtv\\"])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{3}))'
)
_SIMPLE: Final = {
    "a": b"\a",
    "b": b"\b",
    "f": b"\f",
    "n": b"\n",
    "r": b"\r",
    "t": b"\t",
    "v": b"\v",
    "\\": b"\\",
    '"': b'"',
}
_LINE: Final = re.compile(r'([^=]+)="((?:[^"\\]|\\.)*)"')


def _go_unquote(body: str) -> str:
    """The text of a Go ``%q`` literal's *body* (without its quotes).

    Raises:
        ValueError: on a backslash that starts no valid escape.
    """
    if "\\" not in body:
        return body
    out = bytearray()
    position = 0
    for match in _ESCAPE.finditer(body):
        if "\\" in body[position : match.start()]:
            raise ValueError(f"bad escape in {body!r}")
        out += body[position : match.start()].encode()
        simple, byte, short, long, octal = match.groups()
        if simple is not None:
            out += _SIMPLE[simple]
        elif byte is not None:
            out.append(int(byte, 16))
        elif octal is not None:
            if int(octal, 8) > 255:
                raise ValueError(f"bad octal escape in {body!r}")
            out.append(int(octal, 8))
        else:
            out += chr(int(short or long, 16)).encode("utf-8", "surrogatepass")
        position = match.end()
    if "\\" in body[position:]:
        raise ValueError(f"bad escape in {body!r}")
    out += body[position:].encode()
    # A label value is UTF-8; \xNN stands for bytes that were not, kept as U+FFFD.
    return out.decode("utf-8", "replace")


def _parse_podinfo(text: str) -> dict[str, str]:
    """A downward API ``labels`` or ``annotations`` file: one ``key="value"`` per line.

    Raises:
        ValueError: for a line that is not ``key="<Go-quoted value>"``.
    """
    out = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise ValueError(f'line {number} is not key="value": {line[:80]!r}')
        out[match.group(1)] = _go_unquote(match.group(2))
    return out


def _read_file(path: str | os.PathLike[str]) -> str | None:
    """A small text file's content; ``None`` when it does not exist (reported otherwise)."""
    try:
        with open(path, "rb") as file:
            data = file.read(_MAX_FILE + 1)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        _diagnostics.report("enrich", f"kubernetes(): cannot read {os.fspath(path)!r}: {exc}")
        return None
    if len(data) > _MAX_FILE:
        _diagnostics.report(
            "enrich", f"kubernetes(): {os.fspath(path)!r} is larger than {_MAX_FILE} bytes"
        )
        return None
    return data.decode("utf-8", "replace")


def _podinfo_file(path: str) -> dict[str, str]:
    text = _read_file(path)
    if text is None:
        return {}
    try:
        return _parse_podinfo(text)
    except ValueError as exc:
        _diagnostics.report("enrich", f"kubernetes(): {path!r}: {exc}; its fields are left out")
        return {}
