"""The locks that make, CI and the image install from stay in step with pyproject.toml.

`make lock` regenerates them; these tests fail when a dependency was added or its range moved
without that, since `pip install --require-hashes` would then install something untested or fail.
"""

import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.factories import ROOT

FULL_LOCK = ROOT / "requirements.lock"  # runtime + the dev extra: make and CI
RUNTIME_LOCK = ROOT / "requirements-prod.lock"  # runtime only: the Dockerfile


def read_lock(path):
    """{canonical name: (the requirement as pinned, [sha256 hashes])} from a pip-compile lock."""
    text = path.read_text().replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        spec, *options = line.split(" --")
        requirement = Requirement(spec.strip())
        hashes = [
            option.removeprefix("hash=sha256:")
            for option in options
            if option.startswith("hash=sha256:")
        ]
        pins[canonicalize_name(requirement.name)] = (requirement, hashes)
    return pins


def declared(extra=None):
    """The requirements pyproject.toml names for the runtime, or for one extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    requirements = [Requirement(line) for line in lines]
    # A dependency limited to another platform or Python is not in a lock made here.
    return [r for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]


def locks_and_their_requirements():
    runtime = declared()
    return [(RUNTIME_LOCK, runtime), (FULL_LOCK, runtime + declared("dev"))]


def exact_version(requirement):
    """The version of a single `==` pin, else None."""
    specifiers = list(requirement.specifier)
    if len(specifiers) == 1 and specifiers[0].operator == "==":
        return specifiers[0].version
    return None


def test_every_dependency_in_pyproject_is_pinned_with_hashes():
    for lock, requirements in locks_and_their_requirements():
        pins = read_lock(lock)
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{requirement.name} is not in {lock.name}: run make lock"
            pinned, hashes = pins[name]
            assert exact_version(pinned), f"{pinned} in {lock.name} is not pinned with =="
            assert hashes, f"{pinned} in {lock.name} has no --hash=sha256:"


def test_every_pinned_version_satisfies_the_range_in_pyproject():
    for lock, requirements in locks_and_their_requirements():
        pins = read_lock(lock)
        for requirement in requirements:
            pinned, _ = pins[canonicalize_name(requirement.name)]
            version = exact_version(pinned)
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{lock.name} pins {requirement.name} {version}, outside pyproject's "
                f"{requirement.specifier}: run make lock"
            )


def test_every_package_in_the_locks_is_pinned_with_hashes():
    # pip's --require-hashes refuses the whole install over one bare line; say which one.
    for lock in (RUNTIME_LOCK, FULL_LOCK):
        for name, (pinned, hashes) in read_lock(lock).items():
            assert exact_version(pinned), f"{name} in {lock.name} is not pinned with =="
            assert hashes, f"{name} in {lock.name} has no --hash=sha256:"


def test_the_image_gets_the_runtime_versions_that_make_and_ci_test():
    full = read_lock(FULL_LOCK)
    for name, (pinned, _) in read_lock(RUNTIME_LOCK).items():
        assert name in full, f"{name} is in {RUNTIME_LOCK.name} but not in {FULL_LOCK.name}"
        assert exact_version(full[name][0]) == exact_version(pinned), (
            f"{name}: {RUNTIME_LOCK.name} pins {exact_version(pinned)}, "
            f"{FULL_LOCK.name} {exact_version(full[name][0])}: run make lock"
        )


def test_the_runtime_lock_holds_none_of_the_dev_tools():
    runtime = {canonicalize_name(r.name) for r in declared()}
    dev_only = {canonicalize_name(r.name) for r in declared("dev")} - runtime
    assert not dev_only & read_lock(RUNTIME_LOCK).keys()
