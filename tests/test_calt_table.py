"""docs/calt_table.csv says what the committed runs in docs/calt/ show: each row's exact match
is its evaluation's success rate on CALT's 1,000 test samples, and its parameters, steps and
minutes are the run's summary; each row's preset trains that many steps."""

import csv
import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_each_row_of_the_calt_table_is_its_committed_run():
    with open(ROOT / "docs" / "calt_table.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for row in rows:
        preset = row["command"].split("+preset=")[1].split()[0]
        stem = preset.removeprefix("calt_")
        summary = json.loads((ROOT / "docs" / "calt" / f"{stem}.summary.json").read_text())
        scored = json.loads((ROOT / "docs" / "calt" / f"{stem}.eval.json").read_text())
        assert scored["samples"] == 1000, preset
        assert float(row["synthset_exact_match"]) == round(scored["success_rate"], 3), preset
        assert float(row["synthset_exact_match"]) == round(summary["metric"]["score"], 3), preset
        assert int(row["params"]) == summary["parameters"], preset
        assert int(row["steps"]) == summary["steps"], preset
        assert float(row["train_minutes"]) == round(summary["wall_seconds"] / 60, 1), preset
        config = yaml.safe_load((ROOT / "conf" / "train" / "preset" / f"{preset}.yaml")
                                .read_text())
        assert config["train"]["steps"] == int(row["steps"]), preset
        assert 0 <= float(row["calt_exact_match"]) <= 1 and int(row["params"]) <= 4_400_000
