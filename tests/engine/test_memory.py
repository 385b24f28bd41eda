"""Invariant 2: peak memory grows with the shard size, not with the number of samples."""

import subprocess
import sys

import pytest

SCRIPT = """
import resource, sys
sys.path.insert(0, {root!r})
from tests import gens
from synthset.dataset import DatasetGenerator
DatasetGenerator(backend="serial", n_jobs=1, verbose=False).run(
    {{"train": {n}}}, gens.integer_sum, save_dir={out!r}, save_json=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _peak_kb(tmp_path, n):
    from tests.conftest import ROOT

    code = SCRIPT.format(root=ROOT, n=n, out=str(tmp_path / str(n)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.slow
def test_peak_rss_of_a_million_samples_is_within_20_percent_of_100k(tmp_path):
    small = _peak_kb(tmp_path, 100_000)
    large = _peak_kb(tmp_path, 1_000_000)
    assert large <= small * 1.2, (small, large)
    assert len((tmp_path / "1000000" / "train_raw.txt").read_bytes().splitlines()) == 1_000_000
