"""No credential, token or cluster host name is written into a committed file."""

import re
import subprocess

import pytest

from jukebox_workshop.settings import REPO_ROOT

PATTERNS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "OpenShift token": re.compile(r"\bsha256~[A-Za-z0-9_-]{20,}"),
    "bearer token": re.compile(r"Bearer [A-Za-z0-9._~+/-]{20,}=*"),
    "secret assignment": re.compile(
        r"(?i)(secret_access_key|secret_key|password|token)\s*[=:]\s*[\"'][A-Za-z0-9/+=_-]{12,}[\"']"
    ),
    "cluster route": re.compile(r"https?://[a-z0-9.-]+\.(apps|openshiftapps)\.[a-z0-9.-]+"),
}
BINARY_SUFFIXES = {".parquet", ".png", ".jpg", ".onnx", ".keras", ".ico"}


def tracked_text_files():
    names = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in names:
        path = REPO_ROOT / name
        if path.suffix not in BINARY_SUFFIXES and path.is_file():
            yield name, path.read_text(errors="ignore")


def test_no_credentials_or_hosts_in_committed_files():
    found = [
        f"{name}: {label}: {match.group(0)[:40]}"
        for name, text in tracked_text_files()
        for label, pattern in PATTERNS.items()
        for match in pattern.finditer(text)
    ]
    assert not found, "remove these from the repository:\n" + "\n".join(found)


def test_local_platform_credentials_stay_out_of_the_repository():
    from jukebox_workshop.settings import state_dir

    secrets = [
        path.read_text().strip()
        for path in state_dir().glob("*")
        if path.is_file()
        and path.stat().st_size < 200
        and ("key" in path.name or "secret" in path.name or "token" in path.name)
    ]
    secrets = [secret for secret in secrets if len(secret) >= 12]
    if not secrets:
        pytest.skip("the local platform has not generated credentials on this machine")
    leaked = [name for name, text in tracked_text_files() if any(s in text for s in secrets)]
    assert not leaked, f"local platform credentials found in: {leaked}"
