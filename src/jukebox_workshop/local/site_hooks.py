"""mkdocs hooks of the site (mkdocs.yml): the chapter as the home page, the notebooks' links
to other pages turned into links to their rendered pages, and a notebook named in a page
(`jukebox/01-explore.ipynb`) made a link to its page.

mkdocs loads this file by its path; nothing imports it. It uses only what mkdocs hands it.
"""

from __future__ import annotations

import logging
import posixpath
import re

log = logging.getLogger("mkdocs.hooks.jukebox")

# The page an instructor lands on (build/site/index.html), and where the repository's README,
# which would otherwise take that place, goes instead.
HOME, HOME_PAGE = "docs/workshop.md", "index.html"
README, README_PAGE = "README.md", "repository.html"
# href="..." in the HTML nbconvert made of a notebook's Markdown cells.
HREF = re.compile(r'href="([^":#?]+\.(?:ipynb|md))(#[^"]*)?"')
# A heading as nbconvert writes it: <h2 id="summary">Summary<a href="#summary">¶</a></h2>.
HEADING = re.compile(r'<h([1-6]) id="([^"]+)"(.*?)</h\1>', re.S)
NUMBERED = re.compile(r"^(.*)_([0-9]+)$")
# A notebook named in a page as `jukebox/01-explore.ipynb` (a path from the repository's root),
# not already inside a link.
NAMED_NOTEBOOK = re.compile(r'(?<!">)<code>(jukebox/\d\d-[\w-]+\.ipynb)</code>')


def _moved(file, dest_uri: str):
    return type(file)(file.src_uri, file.src_dir, file.dest_dir, False, dest_uri=dest_uri)


def on_files(files, config):
    for src, dest in ((README, README_PAGE), (HOME, HOME_PAGE)):
        file = files.get_file_from_path(src)
        if file is not None:
            files.remove(file)
            files.append(_moved(file, dest))
    return files


def on_page_content(html, page, config, files):
    """In a notebook's page, a link to `02-prepare.ipynb` or `../docs/serving.md#...` leads to
    that page of the site; a link to a page that is not in the site fails the strict build."""
    if not page.file.src_uri.endswith(".ipynb"):
        return _link_named_notebooks(html, page, files)
    folder = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match) -> str:
        target, anchor = match.group(1), match.group(2) or ""
        found = files.get_file_from_path(posixpath.normpath(posixpath.join(folder, target)))
        if found is None:
            log.warning(f"{page.file.src_uri} links to '{target}', which is not in the site")
            return match.group(0)
        return f'href="{found.url_relative_to(page.file)}{anchor}"'

    return _unique_heading_ids(HREF.sub(rewrite, html))


def _link_named_notebooks(html, page, files) -> str:
    """In a page, "Open `jukebox/01-explore.ipynb`" links to that notebook's page, with its
    outputs."""

    def link(match: re.Match) -> str:
        found = files.get_file_from_path(match.group(1))
        if found is None:
            return match.group(0)
        return f'<a href="{found.url_relative_to(page.file)}">{match.group(0)}</a>'

    return NAMED_NOTEBOOK.sub(link, html)


def _unique_heading_ids(html: str) -> str:
    """nbconvert gives two headings of the same text the same id, where the page's table of
    contents (Python-Markdown's) expects `checkpoint`, `checkpoint_1`, ...: the same here."""
    seen: set[str] = set()

    def rename(match: re.Match) -> str:
        level, original, rest = match.groups()
        unique = original
        while unique in seen:  # as markdown.extensions.toc.unique does
            numbered = NUMBERED.match(unique)
            if numbered:
                unique = f"{numbered.group(1)}_{int(numbered.group(2)) + 1}"
            else:
                unique = f"{unique}_1"
        seen.add(unique)
        rest = rest.replace(f'href="#{original}"', f'href="#{unique}"')
        return f'<h{level} id="{unique}"{rest}</h{level}>'

    return HEADING.sub(rename, html)
