"""The README's figures about the tests are checked here, so they cannot drift from the suite."""

import re
import subprocess
import sys

from tests.factories import ROOT
from tests.query_budgets import QUERIES

README = (ROOT / "README.md").read_text()


def collected_tests() -> int:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return int(re.search(r"(\d+) tests? collected", done.stdout).group(1))


def test_the_readme_says_how_many_tests_make_test_runs():
    stated = re.search(r"`make test` runs ([\d,]+) tests", README)
    assert stated, "the README no longer says how many tests `make test` runs"
    assert int(stated.group(1).replace(",", "")) == collected_tests()


def test_the_readmes_query_budgets_are_the_ones_the_tests_pin():
    table = README[README.index("| read path | queries |") :].split("\n\n", 1)[0]
    rows = re.findall(r"^\| ([^|]+?) \| (\d+) \|$", table, flags=re.M)
    assert {name: int(count) for name, count in rows} == QUERIES
