"""Page weight: the HTML, CSS and JavaScript of a page, compressed as served.

Asks for gzip, as a browser does over plain HTTP (over HTTPS it would also
offer br and zstd, which only makes things smaller).
"""

import re

from benchmarks.browser import Browser

ASSET_RE = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"')
BUDGET_KB = 60
ONE_YEAR = 365 * 24 * 3600


def page_weight(browser: Browser, path: str) -> dict:
    page = browser.get(path)
    html = page.text
    parts = [{"url": path, "wire_bytes": len(page.body), "bytes": len(html.encode()),
              "encoding": page.headers.get("content-encoding", "identity"),
              "cache_control": page.headers.get("cache-control", "")}]
    for url in ASSET_RE.findall(html):
        url = url.replace("&amp;", "&")
        asset = browser.get(url)
        parts.append({"url": url, "wire_bytes": len(asset.body), "bytes": len(asset.text.encode()),
                      "encoding": asset.headers.get("content-encoding", "identity"),
                      "cache_control": asset.headers.get("cache-control", "")})
    assets = parts[1:]
    total = sum(p["wire_bytes"] for p in parts)
    return {
        "page": path,
        "total_kb": round(total / 1024, 1),
        "uncompressed_kb": round(sum(p["bytes"] for p in parts) / 1024, 1),
        "budget_kb": BUDGET_KB,
        "within_budget": total <= BUDGET_KB * 1024,
        "all_compressed": all(p["encoding"] != "identity" for p in parts),
        "assets_fingerprinted": all("?v=" in p["url"] for p in assets),
        "assets_cached_a_year": all(f"max-age={ONE_YEAR}" in p["cache_control"] for p in assets),
        "parts": parts,
    }
