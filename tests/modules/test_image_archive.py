"""module_utils/image_archive.py: the archive of a release's images, made once per content,
compressed, and loaded on a host that removes it whatever happens.

The Docker cases export and load a tiny image of their own (one 256 kB layer, FROM scratch).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from ansible.module_utils import image_archive
from ansible.module_utils.image_archive import (
    ArchiveError,
    archive_key,
    choose_compression,
    load,
    make_archive,
    space_message,
)


def test_zstd_only_when_the_builder_and_every_receiver_have_it() -> None:
    assert choose_compression(True, {"web1": True, "web2": True}) == ("zstd", "")
    assert choose_compression(True, {}) == ("zstd", "")
    assert choose_compression(True, {"web2": False, "web1": True, "web3": False}) == (
        "gzip",
        "zstd is missing on web2, web3",
    )
    assert choose_compression(False, {"web1": True}) == (
        "gzip",
        "zstd is missing where the images were built",
    )


def test_the_key_follows_names_and_ids_not_their_order() -> None:
    ids = {"web:1": "sha256:aa", "web-proxy:2": "sha256:bb"}
    assert archive_key(ids) == archive_key(dict(reversed(ids.items())))
    assert archive_key(ids) != archive_key({**ids, "web:1": "sha256:cc"})
    assert archive_key(ids) != archive_key({"web:9": "sha256:aa", "web-proxy:2": "sha256:bb"})


def test_the_space_message_is_one_line_with_need_and_remedy() -> None:
    message = space_message(50_000_000, 3, ["10 MB free for /opt/web/images"])
    assert "\n" not in message
    assert "150 MB (the 50 MB archive x 3)" in message
    assert "10 MB free for /opt/web/images" in message
    assert "django_app_archive_space_factor" in message


def test_a_host_with_room_passes_and_one_without_is_short(tmp_path: Path) -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI")
    free = shutil.disk_usage(tmp_path).free
    roomy = image_archive.host_space(
        {"archive_dir": str(tmp_path / "images"), "archive_size": 1, "factor": 3}
    )
    assert roomy["short"] == [] and roomy["need"] == 3
    short = image_archive.host_space(
        {"archive_dir": str(tmp_path / "images"), "archive_size": free, "factor": 3}
    )
    assert short["need"] == free * 3
    assert short["short"] and short["short"][0].endswith(f"for {tmp_path / 'images'}")


@pytest.fixture(scope="module")
def tiny_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        pytest.skip("no Docker engine")
    context = tmp_path_factory.mktemp("tiny")
    (context / "payload").write_bytes(os.urandom(128 * 1024) + bytes(128 * 1024))
    (context / "Dockerfile").write_text("FROM scratch\nCOPY payload /payload\n")
    name = f"django-sentry-deploy/archive-test:{os.urandom(4).hex()}"
    subprocess.run(
        ["docker", "build", "-q", "-t", name, str(context)],
        env={**os.environ, "DOCKER_BUILDKIT": "0"}, capture_output=True, check=True,
    )  # fmt: skip
    yield name
    subprocess.run(["docker", "rmi", "--force", name], capture_output=True, check=False)


def archive(tiny_image: str, dest_dir: Path, **receivers: bool) -> dict:
    params = {
        "names": [tiny_image],
        "dest_dir": str(dest_dir),
        "prefix": "web",
        "receivers": {host: {"zstd": has} for host, has in receivers.items()}
        | {"skipped-host": {"skipped": True}},
    }
    return make_archive(params, check_mode=False)


@pytest.mark.docker
def test_an_archive_is_made_once_per_content_and_replaces_the_older(
    tiny_image: str, tmp_path: Path
) -> None:
    older = tmp_path / "web-0123456789abcdef.tar.zst"
    other_app = tmp_path / "web-api-0123456789abcdef.tar.zst"
    older.write_bytes(b"an earlier release")
    other_app.write_bytes(b"another app's release")

    first = archive(tiny_image, tmp_path, web1=True)
    path = Path(first["path"])
    assert first["changed"] and first["compression"] == "zstd" and first["reason"] == ""
    assert path.name.startswith("web-") and path.name.endswith(".tar.zst")
    assert path.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"  # zstd's magic number
    assert first["size"] == path.stat().st_size < 256 * 1024
    assert first["removed"] == [str(older)] and not older.exists() and other_app.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".partial")] == []

    made = path.stat().st_mtime_ns
    again = archive(tiny_image, tmp_path, web1=True)
    assert again == {**first, "changed": False, "removed": []}
    assert path.stat().st_mtime_ns == made


@pytest.mark.docker
def test_a_receiver_without_zstd_gets_gzip(tiny_image: str, tmp_path: Path) -> None:
    result = archive(tiny_image, tmp_path, web1=True, web2=False)
    assert result["compression"] == "gzip" and result["reason"] == "zstd is missing on web2"
    assert result["path"].endswith(".tar.gz")
    assert Path(result["path"]).read_bytes()[:2] == b"\x1f\x8b"


@pytest.mark.docker
@pytest.mark.parametrize("zstd", [True, False])
def test_loading_restores_the_image_and_removes_the_archive(
    tiny_image: str, tmp_path: Path, zstd: bool
) -> None:
    made = Path(archive(tiny_image, tmp_path / "controller", web1=zstd)["path"])
    on_host = tmp_path / made.name
    shutil.copyfile(made, on_host)
    subprocess.run(["docker", "rmi", tiny_image], capture_output=True, check=True)

    assert load(on_host) == [tiny_image]
    assert not on_host.exists()
    inspect = subprocess.run(["docker", "image", "inspect", tiny_image], capture_output=True)
    assert inspect.returncode == 0


@pytest.mark.docker
@pytest.mark.parametrize("suffix", [".tar.zst", ".tar.gz"])
def test_a_broken_archive_fails_and_is_removed_all_the_same(tmp_path: Path, suffix: str) -> None:
    broken = tmp_path / f"web-0123456789abcdef{suffix}"
    broken.write_bytes(b"not an archive at all" * 100)
    with pytest.raises(ArchiveError):
        load(broken)
    assert not broken.exists()
