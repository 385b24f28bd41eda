import json

import pytest

from synthset.core.errors import FormatError
from synthset.core.nested import json_line, text_line, to_strings


@pytest.mark.parametrize("problem, answer, line", [
    ("x", "y", "x # y\n"),
    (["a", "b"], ["c", "d"], "a | b # c | d\n"),
    ([["a", "b"], "c"], [["d", "e"], "f"], "a | b || c # d | e || f\n"),
    ([["x", "y"], ["z", "w"]], "q", "x | y || z | w # q\n"),
])
def test_text_lines_use_calts_separators(problem, answer, line):
    assert text_line(problem, answer) == line


@pytest.mark.parametrize("obj", ["é∑\"\\\t", ["a", "ü"], [["1", "2"], "3"], []])
def test_json_lines_are_json_dumps_bytes(obj):
    expected = json.dumps({"problem": obj, "answer": obj}, ensure_ascii=False) + "\n"
    assert json_line(obj, obj) == expected


def test_leaves_become_strings_and_polys_use_caret():
    from sympy import GF
    from sympy.polys.rings import ring

    R, x, y = ring("x,y", GF(7))
    assert to_strings([3, [1.5, x**2 * y + 6]]) == ["3", ["1.5", "x^2*y + 6"]]
    assert to_strings(x**10) == "x^10"


def test_three_levels_are_refused():
    with pytest.raises(FormatError, match="deeper than two levels"):
        to_strings([[["a"]]])


def test_line_breaks_are_refused():
    with pytest.raises(FormatError, match="line break"):
        text_line("a\nb", "c")


def test_two_samples_never_write_the_same_line():
    # Reproduction: both samples were written as the line `x # # 5`, so reading the text file
    # back could not tell them apart. A separator made at a leaf's edge (with the space a join
    # puts there) is refused like one inside it.
    for problem, answer in [("x #", "5"), ("x", "# 5")]:
        with pytest.raises(FormatError, match="makes the separator ' # '"):
            text_line(problem, answer)


@pytest.mark.parametrize("problem, answer", [
    ("x #", "5"), ("x", "# 5"), ("#", "5"), ("x", "#"), (["a", "#"], "5"),
    (["a |", "b"], "c"), (["a", "| b"], "c"), (["a", "|"], "c"), ("|", "c"), ("x", "a |"),
    ([["a ||"], ["b"]], "c"), ([["a"], ["|| b"]], "c"), ([["a"], "||"], "c"),
    (["a", "x || y"], "c"), ("x # y", "z"), ("x", "y | z"),
])
def test_leaves_that_would_make_a_separator_are_refused(problem, answer):
    with pytest.raises(FormatError, match="could not be split back"):
        text_line(problem, answer)


@pytest.mark.parametrize("problem, answer, line", [
    (["a#", "b|"], "|x|", "a# | b| # |x|\n"),  # '#' and '|' not next to a space
    ("#1", "a|b", "#1 # a|b\n"),
    ([["3", "6"], "", "x"], "", "3 | 6 ||  || x # \n"),  # empty leaves (golden 'nested')
    (["", ""], [], " |  # \n"),
    ([" a", "b "], " c ", " a | b  #  c \n"),  # spaces at an edge are kept as they are
    (["a  |b"], "x#y", "a  |b # x#y\n"),
])
def test_writable_leaves_with_separator_characters(problem, answer, line):
    from synthset.core.nested import split_line

    assert text_line(problem, answer) == line
    assert split_line(line[:-1]) == (_read_back(problem), _read_back(answer))


def _read_back(value):
    """What ``split_line`` gives for ``value``: CALT's nesting without the shape."""
    if type(value) is str:
        return [[value]]
    if not any(type(item) is list for item in value):
        return [list(value) if value else [""]]
    return [(item or [""]) if type(item) is list else [item] for item in value]


def test_writable_is_the_padded_leaf_without_separators():
    from synthset.core.nested import FIELD_SEPARATORS, writable

    assert writable("a") and writable("") and writable(" ") and writable("a#b")
    assert not writable("a #") and not writable("# a") and not writable("#")
    assert writable("a #", FIELD_SEPARATORS)  # a Parquet column holds no ' # ' join
    assert not writable("a |", FIELD_SEPARATORS) and not writable("|| a", FIELD_SEPARATORS)


def test_parquet_columns_refuse_list_separators_at_an_edge():
    from synthset.io.formats import get_format

    encode = get_format("parquet").encode
    assert encode([["a", ""], "x #"], "# y") == ("a |  || x #", "# y")
    for problem in (["a", "| b"], ["a |", "b"], "x | y", [["a"], "||"]):
        with pytest.raises(FormatError, match="its Parquet column could not be split back"):
            encode(problem, "c")


UNORDERED = ("prints its items in the order of their hashes, which for strings changes from one "
             "Python process to the next, so the dataset's bytes could change from run to run: "
             "return a sorted list instead")


@pytest.mark.parametrize("value, what", [
    ([{"a", "b"}], "set"), (frozenset({1}), "frozenset"), ([["x", {"a"}]], "set"),
    ([("a", {"k": [{"b"}]})], "tuple holding a set"),
])
def test_a_set_is_refused_bare_or_inside_an_item(value, what):
    with pytest.raises(FormatError) as info:
        to_strings(value)
    assert str(info.value) == f"a {what} {UNORDERED}"


def test_a_dict_prints_in_the_order_its_items_were_put_in():
    # the same in every process: kept
    assert to_strings([{"b": 1, "a": 2}, ("t", 1)]) == ["{'b': 1, 'a': 2}", "('t', 1)"]


def a_set_in_a_list(seed):
    return [{"a", "b"}], 1


def sometimes_a_set_in_a_list(seed):
    return ([{"a", "b"}], 1) if seed % 3 == 0 else (["a", "b"], 1)


def test_a_set_inside_a_problem_is_a_sample_error(tmp_path, capsys):
    import yaml

    from synthset.cli.main import main
    from synthset.core.seeding import derive_seed

    config = tmp_path / "data.yaml"
    config.write_text(yaml.safe_dump({"dataset": {
        "save_dir": str(tmp_path / "raise"), "num_train_samples": 30, "num_test_samples": 10,
        "batch_size": 10, "n_jobs": 1, "root_seed": 42, "verbose": False,
        "instance_generator": "tests.core.test_nested:a_set_in_a_list"}}))
    assert main(["generate", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"synthset generate: error: sample 0 of split 'train' (seed "
                          f"{derive_seed(42, 'train', 0)}) failed: FormatError: a set "
                          f"{UNORDERED}")
    assert err.count("\n") == 1 and not (tmp_path / "raise" / "train_raw.txt").exists()
    assert main(["generate", str(config), f"save_dir={tmp_path / 'skip'}", "on_error=skip",
                 "instance_generator=tests.core.test_nested:sometimes_a_set_in_a_list"]) == 0
    stats = yaml.safe_load((tmp_path / "skip" / "train_stats.yaml").read_text())
    assert stats["errors"] == stats["skipped"] > 0
    assert (tmp_path / "skip" / "train_raw.txt").read_text() == "a | b # 1\n" * 30
