"""Every relative link in the documentation points to a file that exists, and every anchor to
a heading of its target (GitHub's slugs: lower case, punctuation dropped, spaces to hyphens,
-1, -2, ... for repeated headings)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted(
    [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("roles/*/README.md")]
)
FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def prose(text: str) -> str:
    """The text without code blocks and code spans, where brackets are not links."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text())):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> list[str]:
    return [target for target in LINK.findall(prose(path.read_text()))
            if not EXTERNAL.match(target)]


def broken(document: Path, target: str) -> str | None:
    """Why a relative link of the document does not resolve, or None."""
    file_part, _, anchor = unquote(target).partition("#")
    path = (document.parent / file_part).resolve() if file_part else document
    if not path.exists():
        return f"{target}: no such file"
    if anchor and (path.suffix != ".md" or anchor not in anchors(path)):
        return f"{target}: no heading #{anchor} in {path.name}"
    return None


def test_the_documentation_has_links_to_check():
    assert ROOT / "README.md" in DOCUMENTS
    assert any(links(document) for document in DOCUMENTS)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(document: Path):
    problems = [problem for target in links(document)
                if (problem := broken(document, target)) is not None]
    assert problems == [], f"{document.relative_to(ROOT)}: " + "; ".join(problems)


def test_a_missing_file_or_heading_is_reported(tmp_path: Path):
    document = tmp_path / "doc.md"
    document.write_text("# Top\n\n## Top\n\n[a](#top-1) [b](#nowhere) [c](other.md) `[d](x.md)`\n")
    assert [broken(document, target) for target in links(document)] == [
        None, "#nowhere: no heading #nowhere in doc.md", "other.md: no such file"]


@pytest.mark.parametrize(("heading", "expected"), [
    ("Deploy your own Django project", "deploy-your-own-django-project"),
    ("Roll back a rotation", "roll-back-a-rotation"),
    ("`make setup` and air-gapped machines", "make-setup-and-air-gapped-machines"),
    ("The app's image (`docker/Dockerfile`)", "the-apps-image-dockerdockerfile"),
    ("Why an nginx edge proxy?", "why-an-nginx-edge-proxy"),
])
def test_slugs_follow_github(heading: str, expected: str):
    assert slug(heading) == expected
