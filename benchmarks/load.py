"""wrk: requests per second and latency percentiles of one request, sent over and over."""

import json
import os
import shutil
import subprocess
from pathlib import Path

LUA = Path(__file__).resolve().parent / "wrk" / "request.lua"


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    return found


def hammer(port: int, path: str, *, method: str = "GET", body: str = "", headers: dict | None = None,
           connections: int = 8, threads: int = 2, seconds: int = 10) -> dict:
    """Run wrk against 127.0.0.1:port; rps, p50/p95/p99 in ms, and every kind of error."""
    lines = {"User-Agent": "receivables-benchmark", "Accept-Encoding": "gzip", **(headers or {})}
    if body:
        lines["Content-Type"] = "application/x-www-form-urlencoded"
    env = {
        **os.environ,
        "BENCH_METHOD": method,
        "BENCH_BODY": body,
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in lines.items()),
    }
    command = [wrk_path(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
               "-s", str(LUA), f"http://127.0.0.1:{port}{path}"]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in run.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if run.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {run.stdout}\n{run.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = raw["duration_us"] / 1e6
    return {
        "rps": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "requests": raw["requests"],
        "bytes_per_request": round(raw["bytes"] / max(raw["requests"], 1)),
        "errors": {k: v for k, v in raw["errors"].items() if v},
        "connections": connections,
        "seconds": round(seconds_run, 1),
    }
