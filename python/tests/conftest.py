"""Shared fixtures: the model that ships with the repository, and the CLI to compare with.

Run from the repository after `make`:
    FINECAT_LIB=build/libfinecat.so.0 python -m pytest python/tests
FINECAT_BIN (default build/finecat) is the CLI whose numbers the bindings must reproduce.
"""

import json
import os
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL = os.path.join(REPO, "models", "finecat-nli-minilm")

PAIRS = [
    ("A man is playing a guitar on stage.", "A person is making music."),
    ("A man is playing a guitar on stage.", "Nobody is playing an instrument."),
    ("The cat sleeps on the sofa.", "An animal is resting."),
    ("Two kids are running in a park.", "The children are at school."),
    ("She bought three apples at the market.", "She went shopping."),
    ("The committee postponed the vote until next week.", "The vote took place today."),
    ("Ünïcödé text: café, naïve, 東京.", "There is text."),
    ("", "An empty premise."),
]


@pytest.fixture(scope="session")
def model_path():
    return MODEL


@pytest.fixture(scope="session")
def encoder():
    import finecat
    return finecat.CrossEncoder(MODEL)


@pytest.fixture(scope="session")
def cli():
    binary = os.environ.get("FINECAT_BIN", os.path.join(REPO, "build", "finecat"))
    if not os.access(binary, os.X_OK):
        pytest.fail(f"{binary} is not an executable; build it (make) or set FINECAT_BIN")

    def run(*args, input=None):
        done = subprocess.run([binary, *args], input=input, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, f"finecat {' '.join(args)}: {done.stderr}"
        return done.stdout

    return run


@pytest.fixture(scope="session")
def cli_predict(cli):
    """finecat predict on pairs: the list of output records."""

    def run(pairs, *options):
        lines = "".join(json.dumps({"premise": p, "hypothesis": h}) + "\n" for p, h in pairs)
        out = cli("predict", "--model", MODEL, *options, input=lines)
        return [json.loads(line) for line in out.splitlines()]

    return run
