"""Runtime operations on a container through the Python SDK against a real rigd and
Docker: exec, copy in and out, logs, stop and restart."""

from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

import rig

IMAGE = os.environ.get("RIG_TEST_BUSYBOX_IMAGE", "rig-test/busybox:1")


def _has_image() -> bool:
    try:
        return subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


@pytest.mark.usefixtures("need_rigd")
@pytest.mark.skipif(not _has_image(), reason=f"needs Docker and {IMAGE} (scripts/build-test-images.sh)")
def test_exec_copy_logs_stop_restart(tmp_path: Path) -> None:
    web = rig.container(IMAGE).cmd("sh", "-c", "echo serving; mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www")
    web.ingress(rig.http(container_port=80, waits=[rig.waits.log("serving"), rig.waits.command("test", "-f", "/www/index.html")]))
    with rig.up({"web": web}) as env:
        assert env.exec("web", "sh", "-c", "cat; echo err >&2; exit 5", stdin="in") == rig.ExecResult(5, "in", "err\n")

        (tmp_path / "page.html").write_text("page")
        env.copy_to("web", str(tmp_path / "page.html"), "/www/page.html")
        env.copy_content_to("web", "content", "/www/content.txt")
        env.copy_from("web", "/www", str(tmp_path / "www"))
        assert (tmp_path / "www" / "page.html").read_text() == "page"
        assert (tmp_path / "www" / "content.txt").read_text() == "content"

        assert env.logs("web")[0] == rig.LogLine("stdout", "serving")

        env.stop("web")
        env.restart("web")
        with urllib.request.urlopen(env.endpoint("web").url + "/index.html", timeout=10) as response:
            assert response.read() == b"hi\n"
