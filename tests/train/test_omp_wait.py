"""Training on a busy machine: torch's idle OpenMP threads wait passively unless told not to."""

import os
import subprocess
import sys

CODE = "import os, synthset.train, torch; print(os.environ.get('OMP_WAIT_POLICY'))"


def _policy(env: dict) -> str:
    return subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                          env=env, check=True).stdout.strip()


def test_passive_by_default_and_the_users_choice_kept():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert _policy(env) == "PASSIVE"
    assert _policy({**env, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
