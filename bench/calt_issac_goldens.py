"""Byte parity of synthset's CALT face with calt-x 1.5.0 on CALT's ISSAC 2026 experiment
generators, read from your CALT checkout (nothing of CALT's code is in this repository).

    make peers     # calt-x 1.5.0, passagemath 10.8.13, the sage.all shim: bench/.peers/calt
    git clone -b experiment/issac2026 https://github.com/HiroshiKERA/calt
    .venv/bin/python bench/calt_issac_goldens.py --calt-checkout calt [TASK/SETTING ...]

Each case is a checkout's ``issac2026_experiments/TASK/generate_dataset.py`` on its config as
``examples/calt_issac/make_data.py`` reads it (CALT's values; Groebner's sampler with the
branch's ``nonzero_coeff: false`` made explicit), at a small size (``--train``/``--test``,
batch size 25, one job). The script runs, each in a scratch folder with
``python generate_dataset.py --config_path data.yaml`` as CALT does:

- synthset: this interpreter, the script's ``calt.dataset`` imports read as
  ``synthset.dataset`` (make_data.py's reading, ``calt_generators.as_synthset``);
- calt-x 1.5.0: the peer venv (``--calt-python``), the script unchanged; its
  ``DatasetPipeline.from_config`` also takes the branch's keyword ``problem_generator=``
  (calt-x 1.5.0 calls it ``instance_generator`` and refuses the old name; synthset's face
  takes both);
- the branch's own ``calt`` (the checkout's ``src/calt``, the code that made CALT's results),
  in the peer venv: it writes the answer's key as ``solution`` (``answer`` in calt-x 1.5.0),
  compared with that key renamed.

and compares ``{train,test}_raw.txt`` (and ``_data.jsonl`` where the config saves JSON) byte
for byte. Sage is loaded before each script runs: CALT's Groebner script first imports
``sage.rings.rational_field``, which passagemath imports only once Sage is loaded. The result
goes to bench/results/calt_issac_parity.json (``--out``); the exit status is 1 when a case
differs. No case names: every case.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "calt_issac"
OUTPUTS = ("train_raw.txt", "train_data.jsonl", "test_raw.txt", "test_data.jsonl")
RUN = ("import runpy, sys\n"
       "{load_sage}\n"
       "{adapt}"
       "sys.argv = ['generate_dataset.py', '--config_path', 'data.yaml']\n"
       "runpy.run_path('generate_dataset.py', run_name='__main__')\n")
LOAD_SAGE = {"synthset": "from synthset.algebra.backends.sagemath import load_sage; load_sage()",
             "calt-x": "import sage.all", "branch": "import sage.all"}
# calt-x 1.5.0's from_config, taking the experiment branch's keyword as well.
ADAPT = ("from calt.dataset import DatasetPipeline as P\n"
         "_from_config = P.from_config.__func__\n"
         "P.from_config = classmethod(lambda cls, config, instance_generator=None, "
         "statistics_calculator=None, *, problem_generator=None: _from_config(cls, config, "
         "instance_generator or problem_generator, statistics_calculator))\n")


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(side: str, script: str, config: str, python: str, env=None) -> dict[str, bytes]:
    """``{file name: bytes}`` that ``side`` writes for ``script`` on ``config``."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "generate_dataset.py").write_text(script)
        (tmp / "data.yaml").write_text(config)
        code = RUN.format(load_sage=LOAD_SAGE[side], adapt=ADAPT if side == "calt-x" else "")
        subprocess.run([python, "-c", code], cwd=tmp, check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = tmp / "data"
        return {name: (out / name).read_bytes() for name in OUTPUTS if (out / name).exists()}


def version(python: str, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    return subprocess.run([python, "-c", code],
                          check=True, capture_output=True, text=True).stdout.strip()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cases", nargs="*", metavar="TASK/SETTING")
    ap.add_argument("--calt-checkout", required=True, metavar="PATH",
                    help="a clone of CALT's experiment/issac2026 branch, whose scripts run")
    ap.add_argument("--calt-python", default=str(HERE / ".peers/calt/bin/python"))
    ap.add_argument("--train", type=int, default=60)
    ap.add_argument("--test", type=int, default=17)
    ap.add_argument("--out", default=str(HERE / "results" / "calt_issac_parity.json"))
    args = ap.parse_args(argv)

    from omegaconf import OmegaConf

    make_data = _module("make_data")
    as_synthset = _module("calt_generators").as_synthset
    root = make_data.checkout(args.calt_checkout)
    known = {f"{t}/{s}": (t, s) for t, s in make_data.CONFIGS}
    unknown = [c for c in args.cases if c not in known]
    if unknown:
        ap.error(f"unknown case {unknown[0]!r}; cases: {', '.join(known)}")
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=False,
                            capture_output=True, text=True).stdout.strip() or None
    branch_env = {**os.environ, "PYTHONPATH": str(root / "src")}
    results = []
    for name in args.cases or list(known):
        task, setting = known[name]
        cfg = make_data.load_config(root, task, setting)
        cfg.dataset.update(save_dir="./data", num_train_samples=args.train,
                           num_test_samples=args.test, batch_size=25, n_jobs=1)
        config = OmegaConf.to_yaml(cfg)
        script = (root / "issac2026_experiments" / task / "generate_dataset.py").read_text()
        ours = run("synthset", as_synthset(script), config, sys.executable)
        theirs = run("calt-x", script, config, args.calt_python)
        branch = {n: b.replace(b'"solution": ', b'"answer": ') if n.endswith(".jsonl") else b
                  for n, b in run("branch", script, config, args.calt_python,
                                  env=branch_env).items()}
        results.append({
            "case": name,
            "script": f"issac2026_experiments/{task}/generate_dataset.py",
            "config": f"issac2026_experiments/{task}/{make_data.CONFIGS[task, setting]}",
            "files": {n: {"bytes": len(b), "blake2b": hashlib.blake2b(b, digest_size=16)
                          .hexdigest()} for n, b in theirs.items()},
            "synthset_identical_to_calt_x": ours == theirs,
            "branch_calt_identical_to_calt_x": branch == theirs,
        })
        r = results[-1]
        print(f"{name}: synthset {'==' if r['synthset_identical_to_calt_x'] else '!='} "
              f"calt-x, branch calt {'==' if r['branch_calt_identical_to_calt_x'] else '!='} "
              f"calt-x ({', '.join(theirs)})", flush=True)
    identical = all(r["synthset_identical_to_calt_x"] for r in results)
    report = {
        "command": "bench/calt_issac_goldens.py --calt-checkout PATH",
        "calt_branch": "experiment/issac2026",
        "calt_commit": commit,
        "calt_x": version(args.calt_python, "calt-x"),
        "passagemath": version(sys.executable, "passagemath-singular"),
        "passagemath_peer": version(args.calt_python, "passagemath-singular"),
        "samples": {"train": args.train, "test": args.test, "batch_size": 25, "n_jobs": 1},
        "all_identical": identical and all(r["branch_calt_identical_to_calt_x"]
                                           for r in results),
        "cases": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(f"{len(results)} cases, all identical: {report['all_identical']} -> {args.out}")
    return 0 if report["all_identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
