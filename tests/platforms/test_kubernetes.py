"""Kubernetes: ``fastlog_core.enrich.kubernetes()``, the manifests of docs/platforms/kubernetes/
and the page's examples.

Fluent Bit and Vector cannot be installed here: their configurations are parsed, and what they
do to a container's output (the CRI runtime's framing, split at 16 KiB; the ``cri`` multiline
parser joining it; ``Merge_Log`` / ``parse_json`` reading the line) is done to the output of a
real process started with the Deployment's environment.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import fastlog_core
from fastlog_core import _diagnostics, enrich

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "platforms"
MANIFESTS = DOCS / "kubernetes"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
CRI_MAX = 16 * 1024  # containerd and CRI-O split a line into pieces of at most 16 KiB

POD = "shop-api-7d4b9c6f5d-x2x9q"
UID = "9b1c4f3e-0c1a-4c55-8a8e-2f0c3a1d7e11"


def go_quote(value: str | bytes) -> str:
    """Go's ``strconv.Quote`` (``%q``), as the kubelet writes label and annotation values."""
    data = value.encode() if isinstance(value, str) else value
    out = ['"']
    i = 0
    while i < len(data):
        # One rune, or one byte that starts no valid UTF-8 sequence.
        for width in (1, 2, 3, 4):
            try:
                char = data[i : i + width].decode()
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append(f"\\x{data[i]:02x}")
            i += 1
            continue
        i += width
        special = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f"}
        special.update({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"})
        code = ord(char)
        if char in special:
            out.append(special[char])
        elif char.isprintable() and not (0xD800 <= code <= 0xDFFF):
            out.append(char)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def labels_file(path: Path, labels: dict[str, Any]) -> Path:
    """A downward API labels file: ``key="value"`` lines, as fieldpath.FormatMap writes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k}={go_quote(v)}\n" for k, v in sorted(labels.items())))
    return path


def documents(name: str) -> list[dict[str, Any]]:
    with open(MANIFESTS / name, encoding="utf-8") as file:
        return [doc for doc in yaml.safe_load_all(file) if doc is not None]


def deployment() -> dict[str, Any]:
    (doc,) = documents("deployment.yaml")
    assert doc["kind"] == "Deployment"
    return doc


def pod_environment(podinfo: Path) -> dict[str, str]:
    """What the kubelet gives the Deployment's container: its env entries resolved for one
    pod, and its template's labels (with the ReplicaSet's pod-template-hash) in *podinfo*."""
    template = deployment()["spec"]["template"]
    (container,) = template["spec"]["containers"]
    field_values = {
        "metadata.name": POD,
        "metadata.namespace": "shop",
        "spec.nodeName": "node-a-1",
        "metadata.uid": UID,
    }
    env = {}
    for entry in container["env"]:
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        else:
            env[entry["name"]] = field_values[entry["valueFrom"]["fieldRef"]["fieldPath"]]
    (mount,) = container["volumeMounts"]
    (volume,) = template["spec"]["volumes"]
    assert mount["mountPath"] == "/etc/podinfo" and volume["name"] == mount["name"]
    (item,) = volume["downwardAPI"]["items"]
    assert item == {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}
    labels = {**template["metadata"]["labels"], "pod-template-hash": "7d4b9c6f5d"}
    labels_file(podinfo / item["path"], labels)
    env["KUBERNETES_SERVICE_HOST"] = "10.96.0.1"
    return env


EXPECTED = {
    "k8s.pod.name": POD,
    "k8s.namespace.name": "shop",
    "k8s.node.name": "node-a-1",
    "k8s.container.name": "api",
    "k8s.pod.uid": UID,
    "k8s.replicaset.name": "shop-api-7d4b9c6f5d",
    "k8s.deployment.name": "shop-api",
    "k8s.pod.label.app.kubernetes.io/name": "shop-api",
    "k8s.pod.label.app.kubernetes.io/instance": "shop-api-prod",
    "k8s.pod.label.app.kubernetes.io/version": "1.4.2",
    "k8s.pod.label.app.kubernetes.io/component": "api",
}


class TestKubernetes:
    def test_the_deployments_pod(self, tmp_path: Path) -> None:
        """The manifest's variables and labels give every field, in this order."""
        env = pod_environment(tmp_path / "podinfo")
        got = enrich.kubernetes(environ=env, podinfo=tmp_path / "podinfo")
        assert got == EXPECTED
        assert list(got) == list(EXPECTED)

    def test_outside_kubernetes(self, tmp_path: Path) -> None:
        """Nothing Kubernetes-like: {} (a CONTAINER_NAME alone is not Kubernetes)."""
        env = {"HOSTNAME": "laptop", "CONTAINER_NAME": "x", "NODE_NAME": "n"}
        assert enrich.kubernetes(environ=env, podinfo=tmp_path) == {}
        assert enrich.kubernetes(environ={}, podinfo=tmp_path / "missing") == {}

    @pytest.mark.parametrize(
        ("env", "expected"),
        [
            ({"K8S_POD_NAME": "a", "POD_NAME": "b", "HOSTNAME": "c"}, "a"),
            ({"POD_NAME": "b", "OTEL_RESOURCE_ATTRIBUTES": "k8s.pod.name=o"}, "b"),
            ({"OTEL_RESOURCE_ATTRIBUTES": "service.name=s, k8s.pod.name=o%2D1"}, "o-1"),
            ({"HOSTNAME": "h", "KUBERNETES_SERVICE_HOST": "10.0.0.1"}, "h"),
            ({"HOSTNAME": "h", "POD_UID": "u"}, None),  # HOSTNAME only inside a cluster
        ],
    )
    def test_pod_name_precedence(
        self, tmp_path: Path, env: dict[str, str], expected: str | None
    ) -> None:
        got = enrich.kubernetes(environ=env, podinfo=tmp_path)
        assert got.get("k8s.pod.name") == expected

    def test_namespace_precedence(self, tmp_path: Path) -> None:
        namespace_file = tmp_path / "namespace"
        namespace_file.write_text("from-file\n")
        cluster = {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}

        def namespace(env: dict[str, str]) -> str | None:
            got = enrich.kubernetes(environ=env, podinfo=tmp_path, namespace_file=namespace_file)
            return got.get("k8s.namespace.name")

        assert namespace({**cluster, "K8S_NAMESPACE": "a", "POD_NAMESPACE": "b"}) == "a"
        assert namespace({**cluster, "POD_NAMESPACE": "b"}) == "b"
        assert namespace(cluster) == "from-file"
        assert namespace({"POD_NAME": "p"}) is None  # the file only inside a cluster

    @pytest.mark.parametrize(
        ("pod", "labels", "owners"),
        [
            (
                "web-5d78c9869d-4k2xp",
                {"pod-template-hash": "5d78c9869d"},
                {"k8s.replicaset.name": "web-5d78c9869d", "k8s.deployment.name": "web"},
            ),
            ("web-abc12-4k2xp", {"pod-template-hash": "zzz"}, {}),  # hash not in the name
            (
                "db-2",
                {
                    "statefulset.kubernetes.io/pod-name": "db-2",
                    "apps.kubernetes.io/pod-index": "2",
                    "controller-revision-hash": "db-6b8f",
                },
                {"k8s.statefulset.name": "db"},
            ),
            (
                "agent-x7k2p",
                {"controller-revision-hash": "6b8f5c", "pod-template-generation": "3"},
                {"k8s.daemonset.name": "agent"},
            ),
            (
                "migrate-8xk2p",
                {"batch.kubernetes.io/job-name": "migrate", "job-name": "migrate"},
                {"k8s.job.name": "migrate"},
            ),
            (
                "report-29012345-q8x7z",
                {"job-name": "report-29012345"},
                {"k8s.job.name": "report-29012345", "k8s.cronjob.name": "report"},
            ),
        ],
    )
    def test_owners(
        self, tmp_path: Path, pod: str, labels: dict[str, str], owners: dict[str, str]
    ) -> None:
        labels_file(tmp_path / "labels", labels)
        got = enrich.kubernetes(environ={"POD_NAME": pod}, podinfo=tmp_path, labels=())
        assert {k: v for k, v in got.items() if k != "k8s.pod.name"} == owners

    def test_go_quoted_values(self, tmp_path: Path) -> None:
        """Every escape of %q: quotes, backslash, control characters, \\x, \\u, \\U; UTF-8
        printable text as it is; a byte that is not UTF-8 read as U+FFFD."""
        (tmp_path / "labels").write_text(
            'a="say \\"hi\\" \\\\ there"\n'
            'b="l1\\nl2\\tx\\r\\a\\b\\f\\v"\n'
            'c="\\x01\\x7f"\n'
            'd="caf\u00e9 \u65e5\u672c \U0001f600"\n'
            'e="soft\\u00adhyphen \\U000e0001"\n'
            'f="bad\\xff byte"\n'
            'g="octal \\101"\n'
            'h=""\n',
            encoding="utf-8",
        )
        got = enrich.kubernetes(environ={"POD_NAME": "p"}, podinfo=tmp_path, labels="abcdefgh")
        assert {k.removeprefix("k8s.pod.label."): v for k, v in got.items() if "label" in k} == {
            "a": 'say "hi" \\ there',
            "b": "l1\nl2\tx\r\a\b\f\v",
            "c": "\x01\x7f",
            "d": "caf\u00e9 \u65e5\u672c \U0001f600",
            "e": "soft\u00adhyphen \U000e0001",
            "f": "bad\ufffd byte",
            "g": "octal A",
            "h": "",
        }

    @settings(max_examples=200, deadline=None)
    @given(value=st.text())
    def test_any_text_round_trips(self, value: str) -> None:
        assert enrich._go_unquote(go_quote(value)[1:-1]) == value

    def test_annotations_on_request(self, tmp_path: Path) -> None:
        (tmp_path / "annotations").write_text('team="pay\\nments"\nother="x"\n')
        got = enrich.kubernetes(
            environ={"POD_NAME": "p"}, podinfo=tmp_path, annotations=["team", "absent"]
        )
        assert got == {"k8s.pod.name": "p", "k8s.pod.annotation.team": "pay\nments"}

    def test_a_bad_file_is_reported_not_raised(
        self, tmp_path: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        (tmp_path / "labels").write_text('app.kubernetes.io/name="ok"\nbroken line\n')
        got = enrich.kubernetes(environ={"POD_NAME": "p"}, podinfo=tmp_path)
        assert got == {"k8s.pod.name": "p"}
        assert _diagnostics.counts().get("enrich") == 1
        assert "fastlog: enrich: kubernetes(): " in capfd.readouterr().err
        (tmp_path / "labels").write_text('a="bad \\q escape"\n')
        assert enrich.kubernetes(environ={"POD_NAME": "p"}, podinfo=tmp_path) == {
            "k8s.pod.name": "p"
        }

    def test_an_unreadable_labels_path_is_reported(self, tmp_path: Path) -> None:
        (tmp_path / "labels").mkdir()  # a directory: read() fails with IsADirectoryError
        got = enrich.kubernetes(environ={"POD_NAME": "p"}, podinfo=tmp_path)
        assert got == {"k8s.pod.name": "p"}
        assert _diagnostics.counts().get("enrich") == 1

    def test_computed_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The no-argument form reads once per process and hands out copies."""
        monkeypatch.setattr(enrich, "_cache", None)
        monkeypatch.setenv("POD_NAME", "first")
        first = enrich.kubernetes()
        assert first["k8s.pod.name"] == "first"
        monkeypatch.setenv("POD_NAME", "second")
        first["k8s.pod.name"] = "changed by the caller"
        assert enrich.kubernetes()["k8s.pod.name"] == "first"
        assert enrich.kubernetes(environ=dict(os.environ))["k8s.pod.name"] == "second"


class TestManifests:
    def test_collectors_use_built_in_parsing_only(self) -> None:
        docs = documents("fluent-bit.yaml")
        assert [d["kind"] for d in docs] == [
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "ConfigMap",
            "DaemonSet",
        ]
        config = yaml.safe_load(docs[3]["data"]["fluent-bit.yaml"])
        assert "parsers" not in config and "multiline_parsers" not in config
        (tail,) = config["pipeline"]["inputs"]
        assert tail["name"] == "tail" and tail["multiline.parser"] == "docker, cri"
        assert "parser" not in tail
        (kube,) = config["pipeline"]["filters"]
        assert kube["name"] == "kubernetes"
        assert kube["merge_log"] in (True, "on") and kube["keep_log"] in (False, "off")
        daemonset = docs[4]["spec"]["template"]["spec"]
        assert daemonset["serviceAccountName"] == docs[0]["metadata"]["name"]
        mounts = {m["mountPath"] for m in daemonset["containers"][0]["volumeMounts"]}
        assert "/var/log" in mounts

        (vector,) = documents("vector.yaml")
        assert vector["sources"]["kubernetes"]["type"] == "kubernetes_logs"
        remap = vector["transforms"]["fastlog"]
        assert remap["type"] == "remap" and remap["inputs"] == ["kubernetes"]
        assert "parse_json(.message)" in remap["source"] and "merge(" in remap["source"]

    @pytest.mark.parametrize("extra", [0, 20_000, 100_000])
    def test_fastlog_output_through_the_runtime_and_the_collectors(
        self, tmp_path: Path, extra: int
    ) -> None:
        """A process with the Deployment's environment logs to stdout; framed as CRI, joined
        back as the cri parser joins it, every line is one JSON record with the k8s fields."""
        env = pod_environment(tmp_path / "podinfo")
        code = (
            "import fastlog_core\n"
            "from fastlog_core import enrich\n"
            f"fields = enrich.kubernetes(podinfo={str(tmp_path / 'podinfo')!r})\n"
            "fastlog_core.configure(static_fields=fields)\n"
            "log = fastlog_core.get_logger('shop')\n"
            "for i in range(50):\n"
            f"    log.info('order placed', order_id=i, blob='é' * ({extra} if i % 7 == 3 else 1))\n"
        )
        run_env = {**os.environ, **env, "PYTHONPATH": str(ROOT / "src")}
        done = subprocess.run(
            [sys.executable, "-c", code], env=run_env, capture_output=True, check=True
        )
        assert done.stderr == b""
        cri = frame_cri(done.stdout)
        if extra > CRI_MAX:
            assert any(b" stdout P " in line for line in cri)
        records = [merge_log(line) for line in join_cri(cri)]
        assert [r["order_id"] for r in records] == list(range(50))
        for i, record in enumerate(records):
            assert {k: record[k] for k in EXPECTED} == EXPECTED
            assert record["blob"] == "é" * (extra if i % 7 == 3 else 1)
            assert record["stream"] == "stdout"


def frame_cri(output: bytes) -> list[bytes]:
    """The container's stdout as containerd / CRI-O write it to /var/log/containers: one
    ``<RFC3339Nano time> stdout <P|F> <content>`` line per piece of at most 16 KiB, ``P`` for
    every piece but a line's last."""
    out = []
    assert output.endswith(b"\n")
    for line in output[:-1].split(b"\n"):
        pieces = [line[i : i + CRI_MAX] for i in range(0, len(line), CRI_MAX)] or [b""]
        for n, piece in enumerate(pieces):
            now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
            tag = b"F" if n == len(pieces) - 1 else b"P"
            out.append(now.encode() + b" stdout " + tag + b" " + piece)
    return out


_CRI = re.compile(rb"^(\S+) (stdout|stderr) ([PF]) (.*)$", re.DOTALL)


def join_cri(lines: list[bytes]) -> list[tuple[str, bytes]]:
    """What Fluent Bit's ``cri`` multiline parser (and Vector's partial merge) make of them:
    the pieces of a stream concatenated until an ``F``."""
    out = []
    pending: dict[bytes, bytes] = {}
    for line in lines:
        match = _CRI.match(line)
        assert match is not None, line[:80]
        _, stream, tag, content = match.groups()
        pending[stream] = pending.get(stream, b"") + content
        if tag == b"F":
            out.append((stream.decode(), pending.pop(stream)))
    assert not pending
    return out


def merge_log(entry: tuple[str, bytes]) -> dict[str, Any]:
    """Merge_Log On / ``merge(., parse_json!(.message))``: the line's object into the record."""
    stream, log = entry
    parsed = orjson.loads(log)
    assert isinstance(parsed, dict)
    return {"stream": stream, **parsed}


class TestDocs:
    def blocks(self) -> list[str]:
        return BLOCK.findall((DOCS / "kubernetes.md").read_text(encoding="utf-8"))

    def test_every_example_runs(self, tmp_path: Path) -> None:
        """The page's Python blocks, each in a process with the Deployment's environment."""
        blocks = self.blocks()
        assert len(blocks) == 2
        env = pod_environment(tmp_path / "podinfo")
        labels_file(
            tmp_path / "podinfo" / "labels",
            {
                "app.kubernetes.io/name": "shop-api",
                "team": "pay",
                "pod-template-hash": "7d4b9c6f5d",
            },
        )
        run_env = {**os.environ, **env, "PYTHONPATH": str(ROOT / "src")}
        podinfo = str(tmp_path / "podinfo")
        codes = [
            blocks[0],  # reads /etc/podinfo, absent here: the variables' fields
            blocks[1].replace("enrich.kubernetes(", f"enrich.kubernetes(podinfo={podinfo!r}, "),
        ]
        assert codes[1] != blocks[1]
        outputs = []
        for code in codes:
            done = subprocess.run(
                [sys.executable, "-c", code], env=run_env, capture_output=True, check=True
            )
            assert done.stderr == b""
            (line,) = done.stdout.splitlines()
            outputs.append(orjson.loads(line))
        first, second = outputs
        assert first["message"] == "order placed" and first["order_id"] == 42
        assert {k: v for k, v in first.items() if k.startswith("k8s.")} == {
            "k8s.pod.name": POD,
            "k8s.namespace.name": "shop",
            "k8s.node.name": "node-a-1",
            "k8s.container.name": "api",
            "k8s.pod.uid": UID,
        }
        assert second["message"] == "started"
        assert second["k8s.pod.label.team"] == "pay"
        assert second["k8s.pod.label.app.kubernetes.io/name"] == "shop-api"
        assert second["k8s.deployment.name"] == "shop-api"
        assert second["deployment.environment.name"] == "prod"
        assert list(second)[-1] == "deployment.environment.name"

    def test_the_sample_line_is_what_the_manifest_gives(self, tmp_path: Path) -> None:
        """The page's JSON sample has exactly the fields the Deployment's pod gets."""
        page = (DOCS / "kubernetes.md").read_text(encoding="utf-8")
        (sample,) = re.findall(r"^```json\n(.*?)\n```", page, re.DOTALL | re.MULTILINE)
        record = orjson.loads(sample)
        assert {k: v for k, v in record.items() if k.startswith("k8s.")} == EXPECTED

    def test_import_does_not_load_enrich(self) -> None:
        code = "import sys, fastlog_core; print('fastlog_core.enrich' in sys.modules)"
        done = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            capture_output=True,
            check=True,
        )
        assert done.stdout == b"False\n"
        assert fastlog_core.enrich is enrich
