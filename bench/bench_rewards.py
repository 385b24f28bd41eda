"""Reward throughput: completions scored per second per core through
``synthset.rewards.reward_function`` with TRL's call signature, per task and per answer form,
side by side with reasoning-gym's scorers on comparable tasks.

    python bench/bench_rewards.py [--seconds 0.5] [--runs 3] [--examples 200] [--group 16]
                                  [--generations 8] [--tasks depo1,mano10]
                                  [--json bench/results/rewards.json] [--write]

For each task the dataset comes from ``to_hf_dataset(name, prompts=True, count=--examples)``
(columns prompt, answer, example, index) and the reward is called as ``GRPOTrainer`` calls it:
``reward(prompts=..., completions=..., example=..., answer=..., index=...)``, ``--group``
completions a call laid out as GRPO lays them out: ``--generations`` completions in a row share
one example (``GRPOConfig.num_generations``), so a call of 16 holds 2 examples. The column
"mix, own example" is the mix with every completion its own example, the worst case: each
example's record JSON (for Depo ~7 KB of token ids) is decoded once per completion, and that
decoding, not the scoring, is most of its cost. Answer forms:

    stored       the example's own answer, as stored (the fast path: no verifier)
    tags         <think>...</think><answer>ANSWER</answer>
    boxed        reasoning, then \\boxed{ANSWER}
    answer line  reasoning, then a last line "Answer: ANSWER"
    wrong        the previous example's answer, bare (judged by the verifier)
    wrong, tags  the previous example's answer in think+answer tags
    mix          a third each: right as stored; right in tags, boxed or an "Answer:" line in
                 turn; wrong in tags (the targets apply to this column)

Each rate is the median of --runs runs of --seconds on this process's CPU clock (what one core
of its own gives on a machine other jobs share). The reasoning-gym rows score the same forms
through its ``score_answer`` (after its ``extract_answer`` for tags, as its training examples
do; a scorer that raises counts as 0.0). Writes every rate to --json; --write also appends the
tables to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, report  # noqa: E402

REASONING = ["depo1", "depo2", "brevo1", "brevo2", "mano10", "lano", "capo"]
ALGEBRA = ["integer_sum", "gf17_addition", "integer_factorization", "eigenvector", "poly_sum",
           "poly_product", "poly_addition", "poly_gcd", "poly_factor", "poly_reduction",
           "groebner", "unimodular_inverse"]
TARGET = {"reasoning": 20_000, "algebra": 2_000}  # completions/s per core, on the mix
FORMS = ["stored", "tags", "boxed", "answer line", "wrong", "wrong, tags", "mix"]
# synthset task -> reasoning-gym datasets that pose a comparable problem
PEERS = {"integer_sum": ["chain_sum", "basic_arithmetic"], "brevo1": ["shortest_path"],
         "poly_product": ["polynomial_multiplication"],
         "integer_factorization": ["prime_factorization"]}
OUT = Path(__file__).resolve().parent / "results" / "rewards.json"

THINK = "<think>\nLet me work it out step by step; first the parts, then the whole.\n</think>\n"


def tags(a: str) -> str:
    return f"{THINK}<answer>{a}</answer>"


def boxed(a: str) -> str:
    return f"Working it out step by step gives \\boxed{{{a}}}."


def answer_line(a: str) -> str:
    return f"Working it out step by step.\nAnswer: {a}"


def completions_of(form: str, right: list[str], generations: int = 1) -> list[str]:
    """``right`` holds each example's answer ``generations`` times in a row; a wrong answer is
    the previous example's."""
    wrong = [right[i - generations] for i in range(len(right))]
    if form == "stored":
        return list(right)
    if form in ("tags", "boxed", "answer line"):
        return [{"tags": tags, "boxed": boxed, "answer line": answer_line}[form](a)
                for a in right]
    if form == "wrong":
        return wrong
    if form == "wrong, tags":
        return [tags(a) for a in wrong]
    # mix: thirds, interleaved so that every group holds each kind
    styles = (tags, boxed, answer_line)
    return [right[i] if i % 3 == 0 else styles[i // 3 % 3](right[i]) if i % 3 == 1
            else tags(wrong[i]) for i in range(len(right))]


def rate(score_group, n: int, group: int, seconds: float) -> float:
    """Completions a second on the CPU clock, scoring groups of ``group`` in turn."""
    done, t0 = 0, time.process_time()
    while time.process_time() - t0 < seconds:
        for i in range(0, n, group):
            done += len(score_group(i, i + group))
    return done / (time.process_time() - t0)


def median_rate(score_group, n, args) -> tuple[float, list[float]]:
    runs = [rate(score_group, n, args.group, args.seconds) for _ in range(args.runs)]
    return statistics.median(runs), runs


def bench_task(name: str, args) -> dict:
    import synthset
    from synthset.export import to_hf_dataset
    from synthset.rewards import reward_function

    task = synthset.get_task(name)
    try:
        data = to_hf_dataset(name, prompts=True, count=args.examples, seed=0)
        own = {"prompts": list(data["prompt"]), "example": list(data["example"]),
               "answer": list(data["answer"]), "index": list(data["index"])}
    except Exception as exc:  # a draw the generator refuses (a run would skip it)
        print(f"  {name}: to_hf_dataset raised {type(exc).__name__}; the records are drawn "
              f"one by one, skipping refused draws", flush=True)
        own = columns_of(task, args.examples)
    g = args.generations
    grouped = {k: [x for x in v for _ in range(g)] for k, v in own.items()}
    reward = reward_function(name)
    assert all(s == 1.0 for s in reward(completions=own["answer"], **own)), name
    row = {"task": name, "kind": task.kind, "target": TARGET[task.kind], "rates": {},
           "runs": {}, "right": {}}
    for form in [*FORMS, "mix, own example"]:
        columns, generations = (own, 1) if form == "mix, own example" else (grouped, g)
        completions = completions_of(form.split(",")[0] if form.startswith("mix") else form,
                                     columns["answer"], generations)
        scores = reward(completions=completions, **columns)
        row["right"][form] = sum(s == 1.0 for s in scores) / len(scores)

        def score_group(i, j, completions=completions, columns=columns):
            return reward(completions=completions[i:j],
                          **{k: v[i:j] for k, v in columns.items()})

        row["rates"][form], row["runs"][form] = median_rate(score_group, len(completions),
                                                            args)
    return row


def columns_of(task, count: int) -> dict:
    """The prompt dataset's columns, as ``to_hf_dataset(..., prompts=True)`` writes them, from
    the records of root seed 0 that the generator makes (refused draws skipped)."""
    from synthset.export import record_json

    own = {"prompts": [], "example": [], "answer": [], "index": []}
    index = 0
    while len(own["index"]) < count:
        try:
            record = task.record(0, index)
        except Exception:
            index += 1
            continue
        ex = task.example_of(record)
        if not isinstance(record, dict):  # a pair: its strings, as a run stores them
            record = (ex["meta"]["problem"], ex["meta"]["answer"])
        own["prompts"].append(ex["prompt"])
        own["example"].append(record_json(record))
        own["answer"].append(ex["answer"])
        own["index"].append(index)
        index += 1
    return own


def bench_peer(name: str, args) -> dict:
    import reasoning_gym
    from reasoning_gym.utils import extract_answer

    data = reasoning_gym.create_dataset(name, size=args.examples, seed=0)
    entries = [data[i] for i in range(args.examples)]
    right = [e["answer"] for e in entries]

    def score(text, entry, extract):
        try:
            return data.score_answer(extract_answer(text) if extract else text, entry)
        except Exception:  # some of its scorers raise on text they cannot read
            return 0.0

    row = {"task": name, "kind": "reasoning-gym 0.1.25", "rates": {}, "runs": {}, "right": {}}
    for form in ("stored", "tags", "wrong", "wrong, tags"):
        completions = completions_of(form, right)
        extract = "tags" in form
        scores = [score(c, e, extract) for c, e in zip(completions, entries)]
        row["right"][form] = sum(s == 1.0 for s in scores) / len(scores)

        def score_group(i, j, completions=completions, extract=extract):
            return [score(c, e, extract) for c, e in zip(completions[i:j], entries[i:j])]

        row["rates"][form], row["runs"][form] = median_rate(score_group, len(right), args)
    return row


def fmt(x) -> str:
    return "—" if x is None else f"{x:,.0f}"


def tables(rows: list[dict], peers: dict[str, list[dict]]) -> str:
    forms = [*FORMS, "mix, own example"]
    lines = ["| task | " + " | ".join(forms) + " | target (mix) |",
             "| --- |" + " ---: |" * (len(forms) + 1)]
    for r in rows:
        ok = "met" if r["rates"]["mix"] >= r["target"] else "**below**"
        lines.append(f"| {r['task']} | " + " | ".join(fmt(r["rates"][f]) for f in forms)
                     + f" | {r['target']:,} {ok} |")
    lines += ["", "Side by side with reasoning-gym 0.1.25 (completions/s per core; "
              "its scorer after its own `extract_answer` for tags):", "",
              "| synthset task | stored | tags | wrong | wrong, tags | reasoning-gym task | "
              "stored | tags | wrong | wrong, tags |",
              "| --- |" + " ---: |" * 4 + " --- |" + " ---: |" * 4]
    by_name = {r["task"]: r for r in rows}
    cols = ("stored", "tags", "wrong", "wrong, tags")
    for name, prs in peers.items():
        mine = by_name.get(name)
        for p in prs:
            left = " | ".join(fmt(mine["rates"][c]) if mine else "—" for c in cols)
            lines.append(f"| {name} | {left} | {p['task']} | "
                         + " | ".join(fmt(p["rates"][c]) for c in cols) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=0.5, help="length of one run")
    ap.add_argument("--runs", type=int, default=3, help="runs per rate (their median)")
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--group", type=int, default=16, help="completions per reward call")
    ap.add_argument("--generations", type=int, default=8,
                    help="completions per example, in a row (GRPO's num_generations)")
    ap.add_argument("--tasks", default="", help="comma-separated tasks (default: all)")
    ap.add_argument("--no-peers", action="store_true", help="skip reasoning-gym")
    ap.add_argument("--json", default=str(OUT), help="where to write the rates")
    ap.add_argument("--write", action="store_true", help="append to docs/benchmarks.md")
    args = ap.parse_args(argv)
    names = args.tasks.split(",") if args.tasks else REASONING + ALGEBRA
    command = (f"python bench/bench_rewards.py --seconds {args.seconds} --runs {args.runs} "
               f"--examples {args.examples} --group {args.group} --generations "
               f"{args.generations}"
               + (f" --tasks {args.tasks}" if args.tasks else "")
               + (" --no-peers" if args.no_peers else ""))
    print(command, flush=True)
    rows, peers = [], {}
    for name in names:
        rows.append(bench_task(name, args))
        print(name, {f: round(v) for f, v in rows[-1]["rates"].items()}, flush=True)
        if not args.no_peers:
            for peer in PEERS.get(name, []):
                peers.setdefault(name, []).append(bench_peer(peer, args))
                print("  reasoning-gym", peer, {f: round(v) for f, v in
                                                peers[name][-1]["rates"].items()}, flush=True)
    note = (f"{args.examples} examples a task, {args.group} completions a reward call, "
            f"{args.generations} in a row per example (GRPO groups); medians of {args.runs} "
            f"runs of {args.seconds} s on the process CPU clock; {os.cpu_count()} cores, one process; mix = a third each of right as "
            f"stored, right in tags/boxed/Answer line, wrong in tags")
    body = tables(rows, peers)
    report("Reward throughput by answer form", command, note, body, args.write)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": command, "date": date.today().isoformat(),
                               "machine": machine(), "note": note, "forms": FORMS,
                               "tasks": rows, "reasoning_gym": peers}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
