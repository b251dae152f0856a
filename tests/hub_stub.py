"""A local stub of the Hugging Face Hub HTTP API, for tests that push models or datasets.

The real ``huggingface_hub`` client (``HfApi.create_repo``, ``upload_folder``, ``upload_file``,
``create_commit``, ``repo_info``, ``list_repo_tree``, ``HfFileSystem``) and ``datasets``'
``DatasetDict.push_to_hub`` talk to it over HTTP on 127.0.0.1, so a test checks exactly which files a
push would upload, with their bytes. It is an in-memory store with the routes those clients use, not a
re-implementation of the Hub: text files are "regular" uploads (base64 inside the commit), binary or
large files go through the basic Git LFS transfer (batch, then PUT of the bytes, checked against their
sha256). Xet storage is not spoken, so :meth:`HubStub.online` turns it off in the client
(``HF_HUB_DISABLE_XET``). There is no authentication, one branch (``main``) and no pagination. Nothing
here verifies anything about the real Hub.

Usage::

    with HubStub() as hub, hub.online(monkeypatch):
        HfApi(endpoint=hub.endpoint).create_repo("me/x", repo_type="dataset")
        ...
        hub.files("me/x", repo_type="dataset")  # {path: bytes}
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import yaml

#: URL segment of each repo type in API routes (``/api/models/...``) and in file routes (``/datasets/...``).
API_SEGMENTS = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}
STUB_USER = "stub-user"


@dataclass
class Upload:
    """One file received in a commit."""

    repo_type: str
    repo_id: str
    path: str
    content: bytes
    commit: str


@dataclass
class StubRepo:
    """A repository held in memory: current files and the commit history."""

    repo_type: str
    repo_id: str
    private: bool
    files: dict[str, bytes] = field(default_factory=dict)
    commits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sha(self) -> str:
        return self.commits[-1]["oid"] if self.commits else hashlib.sha1(self.repo_id.encode()).hexdigest()


class _HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra


class HubStub:
    """Serve the stub on ``127.0.0.1`` in a background thread; use as a context manager."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], StubRepo] = {}
        self.uploads: list[Upload] = []
        self.lfs_objects: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HubStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # -- inspection --------------------------------------------------------------------------------
    def repo(self, repo_id: str, repo_type: str = "model") -> StubRepo:
        return self.repos[(repo_type, repo_id)]

    def files(self, repo_id: str, repo_type: str = "model") -> dict[str, bytes]:
        """The files currently in ``repo_id`` (path -> bytes)."""
        return dict(self.repo(repo_id, repo_type).files)

    @contextlib.contextmanager
    def online(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubStub]:
        """Lift the suite's offline switches (``HF_HUB_OFFLINE``) and point ``datasets`` at the stub.

        ``huggingface_hub`` refuses every HTTP request in offline mode, including to 127.0.0.1;
        ``datasets.push_to_hub`` reads its endpoint from ``datasets.config.HF_ENDPOINT``.
        """
        import datasets.config
        import huggingface_hub.constants

        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)
        monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(datasets.config, "HF_ENDPOINT", self.endpoint)
        yield self

    def as_default_endpoint(self, monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
        """Make the stub the default Hub of ``huggingface_hub`` in this process (as a user's
        ``HF_ENDPOINT`` would), downloading into ``cache``: for loaders that take no endpoint."""
        import huggingface_hub.constants
        import huggingface_hub.hf_api

        monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", self.endpoint)
        monkeypatch.setattr(huggingface_hub.hf_api.api, "endpoint", self.endpoint)
        template = self.endpoint + "/{repo_id}/resolve/{revision}/{filename}"
        monkeypatch.setattr(huggingface_hub.constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))

    def subprocess_env(self) -> dict[str, str]:
        """Environment variables that point a child process's clients at the stub."""
        return {
            "HF_ENDPOINT": self.endpoint,
            "HF_HUB_OFFLINE": "0",
            "HF_DATASETS_OFFLINE": "0",
            "HF_HUB_DISABLE_XET": "1",
            "HF_TOKEN": "stub",
        }

    # -- routes ------------------------------------------------------------------------------------
    def _get_repo(self, repo_type: str, repo_id: str) -> StubRepo:
        try:
            return self.repos[(repo_type, repo_id)]
        except KeyError:
            raise _HubError(404, f"{repo_type} repository {repo_id} not found", "RepoNotFound") from None

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        repo_type = body.get("type") or "model"
        repo_id = f"{body.get('organization') or STUB_USER}/{body['name']}"
        url = f"{self.endpoint}/{URL_PREFIXES[repo_type]}{repo_id}"
        if (repo_type, repo_id) in self.repos:
            raise _HubError(409, "You already created this repo", url=url)
        private = body.get("visibility") == "private" or bool(body.get("private"))
        self.repos[(repo_type, repo_id)] = StubRepo(repo_type, repo_id, private)
        return {"url": url, "name": repo_id, "id": repo_id}

    def _info(self, repo: StubRepo) -> dict[str, Any]:
        return {
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": repo.sha,
            "private": repo.private,
            "siblings": [{"rfilename": path, "size": len(data)} for path, data in sorted(repo.files.items())],
            "tags": [],
        }

    def _commit(self, repo: StubRepo, lines: list[dict[str, Any]]) -> dict[str, Any]:
        header = next(line["value"] for line in lines if line["key"] == "header")
        parent = header.get("parentCommit")
        if parent is not None and parent != repo.sha:
            raise _HubError(412, f"parent commit {parent} is not the head {repo.sha}")
        oid = hashlib.sha1(f"{repo.repo_id}:{len(repo.commits)}:{header.get('summary')}".encode()).hexdigest()
        added, deleted = [], []
        for line in lines:
            key, value = line["key"], line["value"]
            if key in ("file", "lfsFile"):
                content = self._content(value)
                repo.files[value["path"]] = content
                self.uploads.append(Upload(repo.repo_type, repo.repo_id, value["path"], content, oid))
                added.append(value["path"])
            elif key == "deletedFile":
                repo.files.pop(value["path"], None)
                deleted.append(value["path"])
            elif key == "deletedFolder":
                prefix = value["path"].rstrip("/") + "/"
                for path in [p for p in repo.files if p.startswith(prefix)]:
                    del repo.files[path]
                    deleted.append(path)
            elif key != "header":
                raise _HubError(400, f"the stub does not support commit operation {key!r}")
        repo.commits.append(
            {"oid": oid, "summary": header.get("summary"), "added": added, "deleted": deleted}
        )
        url = f"{self.endpoint}/{URL_PREFIXES[repo.repo_type]}{repo.repo_id}/commit/{oid}"
        return {"commitUrl": url, "commitOid": oid, "commitMessage": header.get("summary")}

    def _content(self, value: dict[str, Any]) -> bytes:
        """The bytes of a committed file: inline (regular) or a previously uploaded LFS object."""
        if "oid" in value:
            if value["oid"] not in self.lfs_objects:
                raise _HubError(400, f"LFS object {value['oid']} for {value['path']} was never uploaded")
            return self.lfs_objects[value["oid"]]
        if value.get("encoding") == "base64":
            return base64.b64decode(value["content"])
        return value["content"].encode()

    def _lfs_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        objects = []
        for obj in body["objects"]:
            entry: dict[str, Any] = {"oid": obj["oid"], "size": obj["size"]}
            if obj["oid"] not in self.lfs_objects:
                entry["actions"] = {
                    "upload": {"href": f"{self.endpoint}/lfs-upload/{obj['oid']}", "header": {}}
                }
            objects.append(entry)
        return {"transfer": "basic", "objects": objects}

    def _lfs_put(self, oid: str, body: bytes) -> dict[str, Any]:
        if hashlib.sha256(body).hexdigest() != oid:
            raise _HubError(400, f"uploaded bytes do not match LFS oid {oid}")
        self.lfs_objects[oid] = body
        return {}

    @staticmethod
    def _entry(path: str, data: bytes) -> dict[str, Any]:
        return {"type": "file", "path": path, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}

    def _tree(self, repo: StubRepo, folder: str, recursive: bool) -> list[dict[str, Any]]:
        prefix = folder.strip("/") + "/" if folder.strip("/") else ""
        if prefix and not any(p.startswith(prefix) for p in repo.files):
            raise _HubError(404, f"{folder} not found", "EntryNotFound")
        entries: dict[str, dict[str, Any]] = {}
        for path, data in sorted(repo.files.items()):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix) :]
            if "/" in rest and not recursive:
                directory = prefix + rest.split("/")[0]
                entries[directory] = {"type": "directory", "path": directory, "oid": "0" * 40}
            else:
                if recursive:
                    parts = rest.split("/")[:-1]
                    for depth in range(1, len(parts) + 1):
                        directory = prefix + "/".join(parts[:depth])
                        entries[directory] = {"type": "directory", "path": directory, "oid": "0" * 40}
                entries[path] = self._entry(path, data)
        return list(entries.values())

    def _paths_info(self, repo: StubRepo, paths: list[str]) -> list[dict[str, Any]]:
        out = []
        for path in paths:
            path = path.strip("/")
            if path in repo.files:
                out.append(self._entry(path, repo.files[path]))
            elif any(p.startswith(path + "/") for p in repo.files):
                out.append({"type": "directory", "path": path, "oid": "0" * 40})
        return out

    def handle(
        self, method: str, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """Route one request; returns (status, headers, body)."""
        parsed = urlparse(url)
        path, query = unquote(parsed.path), parse_qs(parsed.query)
        with self._lock:
            self.requests.append((method, path))
            try:
                status, payload, extra = self._route(method, path, query, body, headers)
            except _HubError as err:
                extra = {"X-Error-Code": err.code} if err.code else {}
                extra["X-Error-Message"] = " ".join(err.message.split()).encode("ascii", "replace").decode()
                payload = {"error": err.message, **err.extra}
                return err.status, {"Content-Type": "application/json", **extra}, json.dumps(payload).encode()
        if isinstance(payload, bytes):
            return status, {"Content-Type": "application/octet-stream", **extra}, payload
        return status, {"Content-Type": "application/json", **extra}, json.dumps(payload).encode()

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        if path == "/api/whoami-v2":
            return 200, {"type": "user", "name": STUB_USER, "orgs": [], "auth": {"type": "access_token"}}, {}
        if path == "/api/validate-yaml" and method == "POST":
            return 200, _validate_yaml(json.loads(body)["content"]), {}
        if path == "/api/repos/create" and method == "POST":
            return 200, self._create(json.loads(body)), {}
        lfs_put = re.fullmatch(r"/lfs-upload/([0-9a-f]{64})", path)
        if lfs_put and method == "PUT":
            return 200, self._lfs_put(lfs_put.group(1), body), {}
        lfs_batch = re.fullmatch(r"/(?:(datasets|spaces)/)?([^/]+/[^/]+)\.git/info/lfs/objects/batch", path)
        if lfs_batch and method == "POST":
            self._get_repo(API_SEGMENTS[lfs_batch.group(1) or "models"], lfs_batch.group(2))
            return 200, self._lfs_batch(json.loads(body)), {}
        api = re.fullmatch(r"/api/(models|datasets|spaces)/([^/]+/[^/]+)(?:/(.*))?", path)
        if api:
            repo = self._get_repo(API_SEGMENTS[api.group(1)], api.group(2))
            return self._api_route(method, repo, api.group(3) or "", query, body, headers)
        resolve = re.fullmatch(r"/(?:(datasets|spaces)/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if resolve and method in ("GET", "HEAD"):
            repo = self._get_repo(API_SEGMENTS[resolve.group(1) or "models"], resolve.group(2))
            file_path = resolve.group(4)
            if file_path not in repo.files:
                raise _HubError(404, f"{file_path} not found in {repo.repo_id}", "EntryNotFound")
            data = repo.files[file_path]
            etag = f'"{hashlib.sha1(data).hexdigest()}"'
            extra = {"X-Repo-Commit": repo.sha, "ETag": etag, "Content-Length": str(len(data))}
            return 200, data, extra
        raise _HubError(404, f"the Hub stub has no route for {method} {path}")

    def _api_route(
        self,
        method: str,
        repo: StubRepo,
        rest: str,
        query: dict[str, list[str]],
        body: bytes,
        headers: dict[str, str],
    ) -> tuple[int, Any, dict[str, str]]:
        if method == "GET" and (rest == "" or re.fullmatch(r"revision/[^/]+", rest)):
            return 200, self._info(repo), {}
        if method == "POST" and re.fullmatch(r"preupload/[^/]+", rest):
            files = json.loads(body)["files"]
            modes = [{"path": f["path"], "uploadMode": _upload_mode(f), "shouldIgnore": False} for f in files]
            return 200, {"files": modes}, {}
        if method == "POST" and re.fullmatch(r"commit/[^/]+", rest):
            lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            return 200, self._commit(repo, lines), {}
        tree = re.fullmatch(r"tree/[^/]+(?:/(.*))?", rest)
        if method == "GET" and tree:
            recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
            return 200, self._tree(repo, tree.group(1) or "", recursive), {}
        if method == "POST" and re.fullmatch(r"paths-info/[^/]+", rest):
            if headers.get("content-type", "").startswith("application/json"):
                paths = json.loads(body)["paths"]
            else:
                paths = parse_qs(body.decode()).get("paths", [])
            return 200, self._paths_info(repo, paths), {}
        raise _HubError(404, f"the Hub stub has no route for {method} .../{rest}")


def _upload_mode(file: dict[str, Any]) -> str:
    """The Hub's rule of thumb: binary content or files of 10 MB and more go through LFS."""
    sample = base64.b64decode(file["sample"])
    return "lfs" if file["size"] >= 10_000_000 or b"\x00" in sample else "regular"


def _validate_yaml(content: str) -> dict[str, Any]:
    """Parse a card's YAML front matter (a local syntax check only, not the Hub's metadata schema)."""
    match = re.match(r"^---\s*\n(.*?)\n---\s*\n", content, flags=re.S)
    if match is None:
        return {"errors": [], "warnings": [{"message": "no YAML metadata block"}]}
    try:
        metadata = yaml.safe_load(match.group(1))
    except yaml.YAMLError as err:
        raise _HubError(400, f"invalid YAML metadata: {err}", errors=[{"message": str(err)}]) from None
    if not isinstance(metadata, dict):
        raise _HubError(400, "YAML metadata is not a mapping", errors=[{"message": "not a mapping"}])
    return {"errors": [], "warnings": []}


def _make_handler(hub: HubStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            body = self._read_body()
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out_headers, payload = hub.handle(self.command, self.path, body, headers)
            self.send_response(status)
            for key, value in out_headers.items():
                self.send_header(key, value)
            if "Content-Length" not in out_headers:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request log lines."""

    return Handler
