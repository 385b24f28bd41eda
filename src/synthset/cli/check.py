"""``synthset check RUN``: re-verify a finished run, count duplicates and overlap, report.

Prints a short table, the first failures and one line per problem class; writes quality.json,
figures under quality/ and the card's check section. Exit status 0 when every sample verifies
and every overlap rate is at most ``--max-overlap``, 1 otherwise (2: bad usage, 3: I/O).
"""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check", help="re-verify a run's samples; duplicates, train/test overlap, quality.json",
        description="Re-verify every sample of every split with its task's verifier (or the "
                    "user's check: in data.yaml), count duplicates inside each split and "
                    "overlap between splits by dedup key, and write quality.json, figures "
                    "(quality/*.png) and the dataset card's summary. Resumable: a rerun skips "
                    "what is done. Exit status 1 when a sample fails or an overlap rate exceeds "
                    "--max-overlap.")
    p.add_argument("save_dir", help="the run folder (the dataset's save_dir)")
    p.add_argument("--max-overlap", type=float, default=0.0, metavar="FRACTION",
                   help="the largest accepted fraction of a split's samples whose key occurs "
                        "in another split (default 0)")
    p.add_argument("--max-duplicates", type=float, default=None, metavar="FRACTION",
                   help="also fail when a split's duplicate rate exceeds this (default: "
                        "duplicates are reported only)")
    p.add_argument("--executor", default="loky",
                   help="serial | loky (default) | multiprocessing | ray | dask")
    p.add_argument("--n-jobs", type=int, default=-1, help="workers (-1: every core)")
    p.add_argument("--address", default=None, help="the Ray or Dask cluster to join")
    p.add_argument("--determinism", type=int, default=16, metavar="N",
                   help="how many samples to make again from their seeds (default 16; 0: none)")
    p.add_argument("--trust-code", action="store_true",
                   help="import the generator and check the run folder names (importing a "
                        "module runs its code): re-make samples from their seeds and run the "
                        "user's verifier; without it, a user's run gets format and duplicate "
                        "checks only")
    p.add_argument("--output-dir", default=None, metavar="DIR",
                   help="where the report (quality.json, quality/*.png) and the check's state "
                        "(.synthset/check/) go (default: the run folder, which must then be "
                        "writable; elsewhere, the run folder is only read and its dataset card "
                        "is not updated)")
    p.add_argument("--tokenizer", default=None, metavar="PATH",
                   help="also count each sample's prompt and answer tokens under this "
                        "tokenizer (a local tokenizer.json or a folder holding one; nothing "
                        "is downloaded): min, mean, percentiles, max and total per split, in "
                        "the report, tokens.json and the dataset card")
    p.add_argument("--max-tokens", type=int, default=None, metavar="N",
                   help="with --tokenizer: also count the samples whose prompt and answer "
                        "together are over N tokens (reported; the check does not fail)")
    p.add_argument("--no-figures", action="store_true", help="do not draw quality/*.png")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bars (they are drawn only on a terminal)")


def run_check(args) -> int:
    # the check's driver, imported when the command runs: keeps `synthset --help` cheap
    from synthset.quality.check import check_run
    from synthset.quality.report import table

    report = check_run(args.save_dir, executor=args.executor, n_jobs=args.n_jobs,
                       address=args.address, max_overlap=args.max_overlap,
                       max_duplicates=args.max_duplicates, determinism=args.determinism,
                       trust_code=args.trust_code, figures=not args.no_figures,
                       output_dir=args.output_dir, tokenizer=args.tokenizer,
                       max_tokens=args.max_tokens, verbose=not args.quiet)
    print(table(report))
    written = ["quality.json", *(["tokens.json"] if report.get("tokens") else []),
               *report["figures"]]
    if report.get("failures_file"):
        written.insert(1, report["failures_file"])
    if report.get("card"):
        written.append("README.md")
    print(f"wrote {', '.join(written)} in {report['output_dir']} ({report['seconds']:.1f} s)")
    for problem in report["problems"]:
        print(f"synthset check: FAIL {problem}")
    if report["ok"]:
        print("synthset check: ok: every sample verifies"
              + ("" if report["overlap"] == [] else
                 f" and no overlap rate exceeds {report['max_overlap']:g}"))
    return 0 if report["ok"] else 1
