"""Packaging: the package folders are all in the packaged list, the wheel carries every module and the
entry points, and a third-party plugin package installs and registers like the built-ins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "tokenplan-example-chip"


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _package_folders() -> set[str]:
    names = set()
    for folder, prefix in (("core", "tokenplan"), ("plugins", "tokenplan.plugins")):
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            names.add(".".join([prefix, *rel.parts]))
    return names


def test_every_package_folder_is_packaged():
    setuptools = _pyproject()["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"tokenplan": "core", "tokenplan.plugins": "plugins"}
    assert set(setuptools["packages"]) == _package_folders()


def test_every_builtin_entry_point_names_an_importable_module():
    import importlib

    for name, target in _pyproject()["project"]["entry-points"]["tokenplan"].items():
        module = importlib.import_module(target)
        assert any(n.startswith("tokenplan_") for n in dir(module)), name


@pytest.mark.slow
def test_wheel_contains_every_module_and_the_entry_points(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("tokenplan-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, prefix in (("core", "tokenplan"), ("plugins", "tokenplan/plugins")):
        for source in (ROOT / folder).rglob("*.py"):
            assert f"{prefix}/{source.relative_to(ROOT / folder).as_posix()}" in names, source
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[tokenplan]" in text and "chips.nvidia = tokenplan.plugins.chips.nvidia" in text
    assert "[console_scripts]" in text and "tokenplan = tokenplan.cli:main" in text
    # installed from the wheel (not the editable tree), every package imports
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    packages = sorted(_package_folders())
    code = ("import importlib, sys\n"
            f"mods = [importlib.import_module(m) for m in {packages!r}]\n"
            f"assert all(m.__file__.startswith({str(target)!r}) for m in mods), [m.__file__ for m in mods]\n")
    proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(target)},
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_example_plugin_package_installs_and_registers(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q",
                    "--target", str(target), str(EXAMPLE)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("TOKENPLAN_DISABLE_PLUGIN_AUTOLOAD", None)

    def cli(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "tokenplan.cli", *args], env=env, check=True,
                              capture_output=True, text=True).stdout

    plugin = next(p for p in json.loads(cli("plugins", "--json")) if p["name"] == "example-chip")
    assert (plugin["distribution"], plugin["version"], plugin["status"]) == ("tokenplan-example-chip", "0.1.0",
                                                                             "enabled")
    assert plugin["contributes"] == "1 chip" and plugin["builtin"] is False
    chip = next(c for c in json.loads(cli("catalog", "chips", "--json")) if c["id"] == "example.x1")
    assert chip["plugin"] == "example-chip" and chip["sources"]["tdp_w"].startswith("Example Labs X1")
    # the plugin's own tests pass with tokenplan.testing's fixtures
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
                           str(EXAMPLE), str(EXAMPLE / "tests")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _pins(name: str) -> dict[str, str]:
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            package, _, version = line.partition("==")
            assert version, f"{name}: {line!r} is not pinned with =="
            pins[canonicalize_name(package)] = version
    return pins


@pytest.mark.parametrize("name", ["constraints.txt", "constraints-lowest.txt"])
def test_constraints_pin_versions_that_pyproject_admits(name):
    # the README's commands install with -c constraints.txt: each dependency (and test extra) must be
    # pinned there, and every pin must satisfy the range pyproject.toml declares, or pip refuses the install
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = _pyproject()["project"]
    requirements = [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["test"]]]
    pins = _pins(name)
    for req in requirements:
        version = pins.get(canonicalize_name(req.name))
        if name == "constraints.txt":
            assert version is not None, f"{name} does not pin {req.name}"
        if version is not None:
            assert req.specifier.contains(version, prereleases=True), f"{name}: {req.name}=={version} not in {req}"


def test_the_readme_and_ci_install_the_pinned_set():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install -e ".[test]" -c constraints.txt && pytest' in readme
    assert 'pip install -e ".[test]" -c constraints.txt && pytest' in ci
    assert "pip install -e . -c constraints.txt && tokenplan solve problems/quickstart.toml" in readme


def test_highspy_releases_known_to_give_wrong_answers_are_excluded():
    from packaging.requirements import Requirement

    highspy = next(Requirement(r) for r in _pyproject()["project"]["dependencies"] if r.startswith("highspy"))
    assert not highspy.specifier.contains("1.14.0")  # HiGHS #2957, #3002: wrong "optimal" MIP results
    assert highspy.specifier.contains("1.15.1") and highspy.specifier.contains("1.16.0")
