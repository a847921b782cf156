"""axe-core in the page under test: WCAG 2.2 AA, reported so a person can act on it."""

from axe_playwright_python.sync_playwright import Axe

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_axe = Axe()


def axe_violations(page) -> list[dict]:
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA},
                                      "resultTypes": ["violations"]})
    return results.response["violations"]


def describe(violations: list[dict]) -> str:
    """One block per rule: what is wrong, where (selector and markup), and how to fix it."""
    blocks = []
    for violation in violations:
        lines = [f"[{violation['impact']}] {violation['id']}: {violation['help']}", f"  {violation['helpUrl']}"]
        for node in violation["nodes"][:5]:
            lines.append(f"  at {' '.join(map(str, node['target']))}")
            lines.append(f"     {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n       ")
            if summary:
                lines.append(f"       {summary}")
        if len(violation["nodes"]) > 5:
            lines.append(f"  ... and {len(violation['nodes']) - 5} more")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def assert_no_axe_violations(page) -> None:
    """axe-core finds no WCAG 2.2 AA violation on the page as it is now."""
    violations = axe_violations(page)
    assert not violations, f"axe-core found {len(violations)} WCAG 2.2 AA problem(s) on {page.url}:\n\n" + describe(
        violations
    )
