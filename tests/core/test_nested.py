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
