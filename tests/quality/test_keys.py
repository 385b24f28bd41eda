"""Exact duplicate and overlap counts by hash partition, and memory that does not grow with
the number of keys."""

import hashlib
import json
import random
import subprocess
import sys

import pytest

from synthset.quality import keys as K


def _hex(value) -> str:
    return hashlib.blake2b(str(value).encode(), digest_size=16).hexdigest()


def _count(splits: list[list[str]], bits: int, range_size: int) -> dict:
    """Through the same steps a check takes: range records, offsets, partitions, merge."""
    pieces = [[] for _ in range(1 << bits)]
    for sid, keys in enumerate(splits):
        for start in range(0, len(keys), range_size):
            records = K.range_records(K.digests_from_hex(keys[start:start + range_size]), start)
            offsets = K.partition_offsets(records, bits)
            for p in range(1 << bits):
                pieces[p].append((sid, records[offsets[p]:offsets[p + 1]]))
    return K.merge_counts([K.count_partition(pc, len(splits)) for pc in pieces], len(splits))


@pytest.mark.parametrize("bits, range_size", [(0, 10_000), (3, 97)])
def test_counts_are_exact(bits, range_size):
    rng = random.Random(3)
    splits = [[_hex(rng.randint(0, 2000)) for _ in range(n)] for n in (3000, 500, 200)]
    got = _count(splits, bits, range_size)
    sets = [set(s) for s in splits]
    assert got["samples"] == [len(s) for s in splits]
    assert got["distinct"] == [len(s) for s in sets]
    for a in range(3):
        for b in range(3):
            if a < b:
                assert got["shared"].get(f"{a},{b}", 0) == len(sets[a] & sets[b])
            if a != b:
                assert got["in_other"].get(f"{b},{a}", 0) == sum(k in sets[a] for k in splits[b])
    for example in got["duplicate_examples"]:
        keys = splits[example["split"]]
        key = keys[example["first"]]
        assert keys.index(key) == example["first"] and keys.count(key) == example["samples"]


def test_keys_sharing_their_first_64_bits_stay_apart():
    hi = "0123456789abcdef"
    a, b, c = hi + "0" * 16, hi + "1" * 16, hi + "2" * 16
    got = _count([[a, b, a, c], [b, b, "f" * 32]], 0, 2)
    assert got["distinct"] == [3, 2]
    assert got["samples"] == [4, 3]
    assert got["shared"] == {"0,1": 1}
    assert got["in_other"] == {"0,1": 1, "1,0": 2}


def test_a_key_in_every_sample_does_not_crowd_one_partition():
    keys = [_hex(0)] * 5000
    records = K.range_records(K.digests_from_hex(keys), 0)
    assert records.size == 1 and int(records["n"][0]) == 5000 and int(records["first"][0]) == 0
    assert _count([keys], 2, 1000)["distinct"] == [1]


def test_partition_bits_keep_partitions_near_their_target():
    assert K.partition_bits(0) == 0
    assert K.partition_bits(1_000_000, 250_000) == 2
    assert K.partition_bits(10_000_000, 250_000) == 6
    assert (10_000_000 >> K.partition_bits(10_000_000, 250_000)) <= 250_000


# -- memory: flat from 1M to 10M keys -----------------------------------------------------------
MAKE = """
import json, sys
import numpy as np
from pathlib import Path
from synthset.quality import keys as K

folder, total, bits = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
files, offsets, size = [], [], 10_000
for number, start in enumerate(range(0, total, size)):
    # keys drawn from a space of 0.8 * total values: duplicates and overlap on purpose
    values = rng.integers(0, int(total * 0.8), size, dtype=np.uint64)
    digests = np.zeros((size, 2), dtype=">u8")
    digests[:, 0] = values * np.uint64(0x9E3779B97F4A7C15)
    digests[:, 1] = values
    records = K.range_records(digests.tobytes(), start)
    path = folder / f"{number:05d}.keys"
    K.write_records(path, records)
    files.append([number % 2, str(path)])
    offsets.append(K.partition_offsets(records, bits))
(folder / "plan.json").write_text(json.dumps({"files": files, "offsets": offsets}))
"""

COUNT = """
import json, resource, sys, time
import numpy as np
import psutil
from pathlib import Path
from synthset.quality.check import PartitionJob
from synthset.quality.keys import merge_counts

folder, bits = Path(sys.argv[1]), int(sys.argv[2])
plan = json.loads((folder / "plan.json").read_text())
files = [(sid, path) for sid, path in plan["files"]]
before = psutil.Process().memory_info().rss
job = PartitionJob(files, np.array(plan["offsets"], dtype=np.int64), 2, str(folder / "state"))
started = time.perf_counter()
for p in range(1 << bits):
    job(p)
seconds = time.perf_counter() - started
total = merge_counts((json.loads((folder / "state" / "partitions" / f"{p:05d}.json").read_text())
                      for p in range(1 << bits)), 2)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"peak": peak, "before": before, "seconds": seconds,
                  "samples": sum(total["samples"]), "distinct": total["distinct"]}))
"""


def _measure(tmp_path, total: int) -> dict:
    folder = tmp_path / str(total)
    folder.mkdir()
    bits = K.partition_bits(total, 250_000)
    subprocess.run([sys.executable, "-c", MAKE, str(folder), str(total), str(bits)], check=True)
    out = subprocess.run([sys.executable, "-c", COUNT, str(folder), str(bits)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


@pytest.mark.slow
def test_counting_memory_is_flat_from_1m_to_10m_keys(tmp_path):
    small = _measure(tmp_path, 1_000_000)
    large = _measure(tmp_path, 10_000_000)
    assert small["samples"] == 1_000_000 and large["samples"] == 10_000_000
    assert 0 < large["distinct"][0] < 5_000_000
    # peak RSS of the whole counting process (interpreter, numpy, the partition in hand)
    assert large["peak"] <= 1.2 * small["peak"], (small, large)
