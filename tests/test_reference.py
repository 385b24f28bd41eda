"""docs/reference/ is what scripts/make_reference.py makes from the code: a changed option,
flag or training key without `make reference` fails here, and so does a generator that writes
nothing useful."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("make_reference",
                                               ROOT / "scripts" / "make_reference.py")
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


@pytest.fixture(scope="module")
def pages():
    return ref.pages()


def _section(text: str, heading: str) -> str:
    return text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_committed_pages_are_what_the_code_makes(pages):
    committed = {p.name for p in (ROOT / "docs" / "reference").glob("*.md")}
    assert committed == set(pages), "docs/reference/ holds other pages: run `make reference`"
    for name, text in pages.items():
        on_disk = (ROOT / "docs" / "reference" / name).read_text(encoding="utf-8")
        assert on_disk == text, f"docs/reference/{name} is stale: run `make reference`"


def test_every_page_says_it_is_generated_and_names_no_machine_path(pages):
    for text in pages.values():
        assert text.startswith("_Generated from the code by `python scripts/make_reference.py` "
                               "(also `make reference`); do not edit by hand._\n")
        assert str(ROOT) not in text and str(Path.home()) not in text


def test_the_pages_do_not_depend_on_the_terminal_width(pages, monkeypatch):
    monkeypatch.setenv("COLUMNS", "30")
    assert ref.pages() == pages


def test_options_page_holds_every_run_option_with_its_declaration(pages):
    text = pages["options.md"]
    for key in ref.RunOptions.declared():
        assert f"\n## {key}\n" in text
    assert "- default: `-1`\n- accepts: -1 (all cores) or a positive integer\n" \
           "- changes the output bytes: no\n- required: yes" in _section(text, "## n_jobs")
    assert "- changes the output bytes: yes: recorded in the manifest, a resume must repeat " \
           "it" in _section(text, "## root_seed")
    assert "- changes the output bytes: yes, through the run's sizes: recorded in the " \
           "manifest" in _section(text, "## num_train_samples")
    assert "one of `serial`, `loky`, `multiprocessing`, `ray`, `dask`" in \
           _section(text, "## executor")
    assert set(ref.THROUGH) <= set(ref.RunOptions.declared())  # a renamed option is noticed


def test_commands_page_holds_every_command_and_flag(pages):
    text = pages["commands.md"]
    check = _section(text, "## synthset check")
    assert "usage: synthset check [-h] [--max-overlap FRACTION]" in check
    assert "| `--trust-code` | import the generator and check the run folder names" in check
    assert "| `--n-jobs N_JOBS` (int) | workers (-1: every core) | `-1` |" in check
    assert "Exactly one of `--predictions`, `--model`." in _section(text, "## synthset eval")
    assert "[every option](options.md)" in _section(text, "## synthset generate")
    assert "| `show` | `1` | how many examples to print |" in \
           _section(text, "## synthset inspect")
    assert "--out " not in text  # a suppressed older spelling stays out of the reference


def test_train_page_holds_the_training_keys_models_and_presets(pages):
    text = pages["train.md"]
    assert "| `train.steps` | `600` | `2000` | an integer >= 1 | optimiser steps |" in text
    assert "| `eval.hops` | `[1, 2, 4, 8]` | fixed-k Depo streams" in text
    assert "| `gpt2_tiny` | A randomly initialised GPT-2" in text
    assert "| `synthset train +preset=gf17_cpu` | CALT's gf17_addition on a CPU" in text


def test_check_names_each_stale_page_and_writes_nothing(pages, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ref, "OUT", tmp_path)
    for name, text in pages.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert ref.main(["--check"]) == 0
    (tmp_path / "train.md").write_text("edited by hand\n", encoding="utf-8")
    (tmp_path / "options.md").unlink()
    capsys.readouterr()
    assert ref.main(["--check"]) == 1
    assert capsys.readouterr().out == ("docs/reference/options.md: stale; run `make reference`\n"
                                       "docs/reference/train.md: stale; run `make reference`\n")
    assert (tmp_path / "train.md").read_text() == "edited by hand\n"
    assert not (tmp_path / "options.md").exists()
