"""Reward throughput: completions scored per second per core through
``synthset.rewards.reward_function`` with TRL's call signature, per task and per answer form,
side by side with reasoning-gym's scorers on comparable tasks; with ``--adapter``, through
each trainer adapter as its trainer calls it.

    python bench/bench_rewards.py [--seconds 0.5] [--runs 3] [--examples 200] [--group 16]
                                  [--generations 8] [--tasks depo1,mano10]
                                  [--adapter trl|verl|openrlhf|verifiers|all]
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

Adapters (``--adapter``; anything but ``trl`` measures the forms stored, wrong, mix and mix,
own example, and writes bench/results/rewards_adapters.json unless --json says otherwise):

    trl        ``synthset.rewards.trl.reward_function`` called as ``GRPOTrainer`` calls it, the
               dataset of ``prompt_dataset`` (its ``task`` column checked on every row)
    verl       ``synthset.rewards.verl.compute_score(data_source=, solution_str=,
               ground_truth=, extra_info=)`` once per completion, the row as ``synthset export
               verl`` writes it (extra_info: split, index, task label JSON, record JSON)
    openrlhf   ``synthset.rewards.openrlhf.reward_func([query], [prompt], [label])``, one
               response a call from a worker thread as OpenRLHF's agent executor calls it,
               the row as ``synthset export openrlhf`` writes it (query: prompt, response and
               an end token)
    verifiers  the taskset's ``correct`` reward awaited as verifiers' ``Task.score`` invokes
               it (``invoke(fn, {"task": data, "trace": trace})``), a group of completions
               gathered on one event loop, the traces made beforehand; ``verifiers-score``
               runs verifiers' whole ``Task.score(trace)`` (its hook discovery and trace
               records included: a ceiling of verifiers' own, not of the reward)

``--cold N`` adds "mix, new prompts": the mix over N examples no earlier pass has seen (root
seeds 1000, 1001, ... one a run, other seeds for each adapter: one process runs them all),
each group scored once: what a trainer pays when every prompt is new, with no per-prompt work
(a decoded example, Lano's parse of a prompt) reused across passes or adapters as the other
columns reuse it.

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
OUT_ADAPTERS = Path(__file__).resolve().parent / "results" / "rewards_adapters.json"
ADAPTERS = ["trl", "verl", "openrlhf", "verifiers", "verifiers-score"]
ADAPTER_FORMS = ["stored", "wrong", "mix", "mix, own example"]
COLD = "mix, new prompts"
END = "<|im_end|>"  # what a decoder keeps at the end of an OpenRLHF query

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


def adapter_scorer(adapter: str, name: str, own: dict):
    """``score(columns, completions) -> list of floats``, through ``adapter`` as its trainer
    calls it, and ``prepare(columns)`` -> the columns that call needs, made beforehand (the
    rows an export writes, the traces a rollout leaves). ``own``: the prompt dataset's
    columns, one row per example."""
    from synthset.export import Source
    from synthset.rewards.rows import label_key, task_label

    label = task_label(Source(name, len(own["index"]), 0, None, "sympy"))
    label_json = label_key(label)
    if adapter == "trl":
        from synthset.rewards.trl import reward_function

        reward = reward_function(name)

        def prepare(columns, completions):
            return {**columns, "task": [label_json] * len(completions)}

        def score(columns, completions, i, j):
            return reward(completions=completions[i:j],
                          **{k: v[i:j] for k, v in columns.items()})
        return prepare, score
    if adapter == "verl":
        from synthset.rewards.verl import compute_score

        source = "synthset/" + (label.get("name") or name)

        def prepare(columns, completions):  # a row of `synthset export verl`
            infos = {}
            return {"extra_info": [infos.setdefault(e, {
                "split": "train", "index": x, "task": label_json, "example": e})
                for e, x in zip(columns["example"], columns["index"])],
                "ground_truth": columns["answer"]}

        def score(rows, completions, i, j):
            return [compute_score(data_source=source, solution_str=c, ground_truth=g,
                                  extra_info=e) for c, g, e in
                    zip(completions[i:j], rows["ground_truth"][i:j], rows["extra_info"][i:j])]
        return prepare, score
    if adapter == "openrlhf":
        from synthset.rewards.openrlhf import reward_func

        task_json = json.loads(label_json)

        def prepare(columns, completions):  # a line of `synthset export openrlhf`
            labels = {}
            return {"prompt": columns["prompts"],
                    "label": [labels.setdefault(e, json.dumps(
                        {"task": task_json, "example": e}, separators=(",", ":"),
                        ensure_ascii=False)) for e in columns["example"]],
                    "query": [p + c + END for p, c in zip(columns["prompts"], completions)]}

        def score(rows, completions, i, j):
            out = []
            for q, p, lab in zip(rows["query"][i:j], rows["prompt"][i:j], rows["label"][i:j]):
                out += reward_func([q], [p], [lab])["rewards"].tolist()
            return out
        return prepare, score
    if adapter in ("verifiers", "verifiers-score"):
        import asyncio

        from verifiers.v1.utils.decorators import invoke

        from synthset.rewards.verifiers_env import SynthsetData, SynthsetTask

        loop = asyncio.new_event_loop()
        whole = adapter == "verifiers-score"

        def prepare(columns, completions):  # the tasks a taskset loads, a trace each
            tasks = {}
            made = [tasks.setdefault(e, SynthsetTask(SynthsetData(
                id=f"{name}/train/{x}", name=name, prompt=p, answer=a, example=e,
                task=label_json))) for p, a, e, x in zip(
                columns["prompts"], columns["answer"], columns["example"], columns["index"])]
            return {"task": made, "trace": [trace_for(t, c) for t, c in zip(made, completions)]}

        async def group(tasks, traces):
            if whole:
                await asyncio.gather(*(t.score(tr) for t, tr in zip(tasks, traces)))
                return [tr.rewards["correct"].score for tr in traces]
            return await asyncio.gather(*(invoke(t.correct, {"task": t.data, "trace": tr})
                                          for t, tr in zip(tasks, traces)))

        def score(rows, completions, i, j):
            return loop.run_until_complete(group(rows["task"][i:j], rows["trace"][i:j]))
        return prepare, score
    raise SystemExit(f"--adapter must be one of {', '.join(ADAPTERS)} or all, got {adapter!r}")


def trace_for(task, reply: str):
    """A verifiers trace of one rollout: the task's prompt, then the model's reply."""
    import verifiers.v1 as vf
    from verifiers.v1.graph import MessageNode
    from verifiers.v1.trace import AgentInfo, Trace, TraceTask, _current_build

    global _TRACE_PARTS
    if _TRACE_PARTS is None:
        _TRACE_PARTS = AgentInfo(config=vf.AgentConfig()), _current_build()
    agent, build = _TRACE_PARTS
    return Trace(task=TraceTask(type=type(task).__name__, data=task.data), agent=agent,
                 verifiers=build,
                 nodes=[MessageNode(message=vf.UserMessage(content=task.data.prompt)),
                        MessageNode(parent=0, message=vf.AssistantMessage(content=reply),
                                    sampled=True)])


_TRACE_PARTS = None


def bench_adapter(adapter: str, name: str, args) -> dict:
    """The forms of ADAPTER_FORMS through ``adapter`` (see the module docstring)."""
    import synthset
    from synthset.export import to_hf_dataset

    task = synthset.get_task(name)
    try:
        data = to_hf_dataset(name, prompts=True, count=args.examples, seed=0)
        own = {"prompts": list(data["prompt"]), "example": list(data["example"]),
               "answer": list(data["answer"]), "index": list(data["index"])}
    except Exception:  # a draw the generator refuses: the records one by one
        own = columns_of(task, args.examples)
    g = args.generations
    grouped = {k: [x for x in v for _ in range(g)] for k, v in own.items()}
    prepare, score = adapter_scorer(adapter, name, own)
    in_thread = adapter == "openrlhf"  # OpenRLHF calls reward_func from a worker thread
    rows = prepare(own, own["answer"])
    got = call(in_thread, lambda: score(rows, own["answer"], 0, len(own["answer"])))
    assert all(x == 1.0 for x in got), (adapter, name)
    row = {"adapter": adapter, "task": name, "kind": task.kind, "target": TARGET[task.kind],
           "rates": {}, "runs": {}, "right": {}}
    for form in ADAPTER_FORMS:
        columns, generations = (own, 1) if form == "mix, own example" else (grouped, g)
        completions = completions_of(form.split(",")[0] if form.startswith("mix") else form,
                                     columns["answer"], generations)
        rows = prepare(columns, completions)
        scores = call(in_thread, lambda: score(rows, completions, 0, len(completions)))
        row["right"][form] = sum(x == 1.0 for x in scores) / len(scores)

        def score_group(i, j, rows=rows, completions=completions):
            return score(rows, completions, i, j)

        row["rates"][form], row["runs"][form] = call(
            in_thread, lambda: median_rate(score_group, len(completions), args))
    if args.cold:
        row["rates"][COLD], row["runs"][COLD] = call(
            in_thread, lambda: cold_rate(adapter, name, task, prepare, score, args))
    return row


def cold_rate(adapter, name, task, prepare, score, args) -> tuple[float, list[float]]:
    """The mix with every prompt new: each run scores --cold examples no run has seen (root
    seeds 1000 + runs * (the adapter's place in ADAPTERS) + run: no adapter sees another's),
    each in its GRPO group once: per-prompt work is never reused from an earlier pass."""
    from synthset.export import to_hf_dataset

    runs = []
    first = 1000 + args.runs * ADAPTERS.index(adapter)
    for r in range(args.runs):
        try:
            data = to_hf_dataset(name, prompts=True, count=args.cold, seed=first + r)
            own = {"prompts": list(data["prompt"]), "example": list(data["example"]),
                   "answer": list(data["answer"]), "index": list(data["index"])}
        except Exception:
            own = columns_of(task, args.cold, seed=first + r)
        g = args.generations
        grouped = {k: [x for x in v for _ in range(g)] for k, v in own.items()}
        completions = completions_of("mix", grouped["answer"], g)
        rows = prepare(grouped, completions)
        t0 = time.process_time()
        for i in range(0, len(completions), args.group):
            score(rows, completions, i, i + args.group)
        runs.append(len(completions) / (time.process_time() - t0))
    return statistics.median(runs), runs


def call(in_thread: bool, fn):
    """``fn()``, in a worker thread when ``in_thread`` (the CPU clock counts every thread)."""
    if not in_thread:
        return fn()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


def adapter_tables(rows: list[dict]) -> str:
    lines = []
    forms = ADAPTER_FORMS + ([COLD] if any(COLD in r["rates"] for r in rows) else [])
    for adapter in dict.fromkeys(r["adapter"] for r in rows):
        lines += ["", f"Through `{adapter}`:", "",
                  "| task | " + " | ".join(forms) + " | target (mix) |",
                  "| --- |" + " ---: |" * (len(forms) + 1)]
        for r in rows:
            if r["adapter"] == adapter:
                ok = "met" if r["rates"]["mix"] >= r["target"] else "**below**"
                lines.append(f"| {r['task']} | " + " | ".join(
                    fmt(r["rates"].get(f)) for f in forms) + f" | {r['target']:,} {ok} |")
    return "\n".join(lines[1:])


def columns_of(task, count: int, seed: int = 0) -> dict:
    """The prompt dataset's columns, as ``to_hf_dataset(..., prompts=True)`` writes them, from
    the records of root seed 0 that the generator makes (refused draws skipped)."""
    from synthset.export import record_json

    own = {"prompts": [], "example": [], "answer": [], "index": []}
    index = 0
    while len(own["index"]) < count:
        try:
            record = task.record(seed, index)
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
    ap.add_argument("--cold", type=int, default=0,
                    help="with --adapter: also the mix over this many new examples a run, "
                         "each scored once in its group (no per-prompt cache reused)")
    ap.add_argument("--adapter", default="",
                    help="trl, verl, openrlhf, verifiers, verifiers-score or all: the rates "
                         "through each trainer adapter (default: the plain reward, all forms)")
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
    if args.adapter:
        return main_adapters(args, names, command + f" --adapter {args.adapter}"
                             + (f" --cold {args.cold}" if args.cold else ""))
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
            f"runs of {args.seconds} s on the process CPU clock; {os.cpu_count()} cores, one "
            f"process; mix = a third each of right as "
            f"stored, right in tags/boxed/Answer line, wrong in tags")
    body = tables(rows, peers)
    report("Reward throughput by answer form", command, note, body, args.write)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": command, "date": date.today().isoformat(),
                               "machine": machine(), "note": note, "forms": FORMS,
                               "tasks": rows, "reasoning_gym": peers}, indent=1) + "\n")
    print(f"wrote {out}")


def main_adapters(args, names, command) -> None:
    adapters = ADAPTERS if args.adapter == "all" else args.adapter.split(",")
    print(command, flush=True)
    rows = []
    for adapter in adapters:
        for name in names:
            rows.append(bench_adapter(adapter, name, args))
            print(adapter, name, {f: round(v) for f, v in rows[-1]["rates"].items()},
                  flush=True)
    load = os.getloadavg()
    note = (f"{args.examples} examples a task, {args.group} completions a call (verl and "
            f"OpenRLHF: one a call, as they call), {args.generations} in a row per example; "
            f"medians of {args.runs} runs of {args.seconds} s on the process CPU clock; "
            f"{os.cpu_count()} cores, one process; load average at the end "
            f"{load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}")
    report("Reward throughput through the trainer adapters", command, note,
           adapter_tables(rows), args.write)
    out = Path(args.json if args.json != str(OUT) else OUT_ADAPTERS)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": command, "date": date.today().isoformat(),
                               "machine": machine(), "note": note, "forms": ADAPTER_FORMS,
                               "rows": rows}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
