"""`pip install .` ships the whole app: every module and package of the tree is listed in
pyproject.toml (an editable install hides a missing one; a wheel would lack it)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent
NOT_SHIPPED = {"benchmarks", "tests", "scripts", "docs", "static", "templates", "instance"}


def test_every_module_and_package_of_the_app_is_in_pyproject():
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    # gunicorn.conf.py is gunicorn's settings file, read from the working directory, never imported.
    modules = {path.stem for path in ROOT.glob("*.py")} - {"gunicorn.conf"}
    top = [d for d in ROOT.iterdir() if d.is_dir() and (d / "__init__.py").exists() and d.name not in NOT_SHIPPED]
    packages = {".".join(init.parent.relative_to(ROOT).parts) for d in top for init in d.rglob("__init__.py")}
    assert set(listed["py-modules"]) == modules
    assert set(listed["packages"]) - {"migrations"} == packages
