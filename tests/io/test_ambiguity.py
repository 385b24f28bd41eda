"""A sample the text form cannot hold unambiguously is a sample error of the run (on_error),
never a line that another sample also writes."""

import pytest

from synthset import GenerationError
from tests.conftest import make_run


def _constant(sample):
    return lambda seed: sample


def test_two_generators_never_write_the_same_raw_line(tmp_path):
    # Reproduction: each run wrote `x # # 5` to train_raw.txt, which splits back (on its first
    # ' # ') into ("x", "# 5") only.
    written = {}
    for name, sample in {"left": ("x #", "5"), "right": ("x", "# 5")}.items():
        folder = tmp_path / name
        try:
            make_run(folder, _constant(sample), sizes={"train": 2, "test": 1})
        except GenerationError as exc:
            assert repr(sample[0] if name == "left" else sample[1]) in str(exc)
            assert "makes the separator ' # '" in str(exc)
            continue
        written[name] = (folder / "train_raw.txt").read_text(encoding="utf-8")
    assert len(set(written.values())) == len(written), written


@pytest.mark.parametrize("problem", [["7", "x #"], ["7", "| y"], [["7"], ["y ||"]], ["7", "|"]])
def test_a_leaf_making_a_separator_is_skipped_under_on_error(tmp_path, problem):
    def gen(seed):
        return (problem, "1") if seed % 3 == 0 else (["7", "8"], "15")

    with pytest.raises(GenerationError, match=r"sample \d+ of split 'train'"):
        make_run(tmp_path / "raise", gen)
    stats = make_run(tmp_path / "skip", gen, on_error="skip", formats=["parquet"])
    assert stats["train"]["skipped"] == stats["train"]["errors"] > 0
    lines = (tmp_path / "skip" / "train_raw.txt").read_text(encoding="utf-8").splitlines()
    assert set(lines) == {"7 | 8 # 15"}


def test_a_parquet_only_run_refuses_list_separators_at_an_edge(tmp_path):
    with pytest.raises(GenerationError, match="its Parquet column could not be split back"):
        make_run(tmp_path, _constant((["a", "| b"], "c")), formats=["parquet"],
                 save_text=False, save_json=False)
