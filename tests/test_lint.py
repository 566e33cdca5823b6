"""The code passes ruff (the configuration in pyproject.toml), so style problems fail CI like bugs do."""

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def test_ruff_passes():
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run([str(ruff), "check", "include", "dags", "tests", "bench", "plugins"], cwd=PROJECT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
