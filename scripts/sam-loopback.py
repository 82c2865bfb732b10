"""The SAM CLI, with its Lambda containers on the host's network and bound to loopback.

Run with the venv's Python in place of `sam`: `python scripts/sam-loopback.py local invoke ...`.

SAM 1.170's `--docker-network host` only skips connecting the container to a network: the
container is still created in Docker's default network mode and SAM reaches the runtime
interface emulator (aws-lambda-rie, on port 8080 inside) through a published port. Under
`dockerd --bridge=none` the default mode has no bridge, so a published port leads nowhere,
and the function could not reach a loopback S3 server either. So SAM's Lambda containers
are created here in host network mode, with no published port, and the emulator listens on
127.0.0.1 at the very port SAM picked and polls (and runs its Runtime API on another free
loopback port, so two containers never collide on 9001). Nothing else of SAM changes, and
no container ever gets an address other than the host's own.

One more repair: SAM 1.170 crashes (UnicodeDecodeError) printing a streamed answer whose
body is not UTF-8 (a JPEG tile: RIE returns the JSON prelude, eight NUL bytes and the raw
body, which SAM passes to json.loads and, failing that, decodes as UTF-8). Such an answer
is printed as the bytes RIE returned, as SAM already does for an `image/*` answer.
"""

import json
import re
import socket
import sys

import docker.models.containers as containers
import requests
from samcli.cli.main import cli
from samcli.local.docker.container import Container

_create = containers.ContainerCollection.create


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _create_on_loopback(self, image, command=None, **kwargs):
    if (kwargs.get("labels") or {}).get("sam.cli.container.type") == "lambda":
        ports = kwargs.pop("ports", None) or {}
        _interface, port = ports["8080"]
        kwargs["network_mode"] = "host"
        kwargs["entrypoint"] = list(kwargs["entrypoint"]) + [
            "--runtime-interface-emulator-address",
            f"127.0.0.1:{port}",
            "--runtime-api-address",
            f"127.0.0.1:{_free_port()}",
        ]
    return _create(self, image, command, **kwargs)


def _make_http_request(self, event, tenant_id=None):
    # SAM's own, but any answer that is not JSON text is returned as raw bytes.
    headers = {"Content-Type": "application/json"}
    if tenant_id is not None:
        headers["X-Amz-Tenant-Id"] = tenant_id
    resp = requests.post(
        self.URL.format(host=self._container_host, port=self.rapid_port_host, function_name="function"),
        data=event.encode("utf-8"),
        headers=headers,
        timeout=(self.RAPID_CONNECTION_TIMEOUT, None),
    )
    try:
        return json.dumps(json.loads(resp.content), ensure_ascii=False), False
    except ValueError:  # not JSON, or not even UTF-8
        return resp.content, True


containers.ContainerCollection.create = _create_on_loopback
Container._make_http_request = _make_http_request

if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\.pyw|\.exe)?$", "", sys.argv[0])
    sys.exit(cli())
