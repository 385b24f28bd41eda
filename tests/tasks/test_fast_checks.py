"""The verifiers' fast paths say what the full checks say: a row the fast path accepts passes
every check, a row it refuses gets the full checks' own message (Depo, Brevo, Mano, Capo);
Lano's parser decides membership as the plain memoised parse does; polynomial strings read
by string splits are the dicts the token parser reads; Groebner and reduction checks in
SymPy's sparse ring give ``sympy.groebner``'s verdicts."""

import copy
import random
import sys

import pytest

import synthset.tasks as T
from synthset.algebra.parse import parse_terms
from synthset.algebra.problems.base import read_canonical
from synthset.core.nested import to_strings
from synthset.tasks.grammars import GRAMMARS
from synthset.tasks.lano import _parser


def _outcome(fn, row):
    try:
        fn(row)
    except Exception as exc:  # the class and the message are the verdict
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def _mutants(row, rng, count):
    """Copies of ``row`` with one token changed, swapped, removed or repeated (labels kept in
    step with the ids half of the time), or a changed mask or label."""
    for _ in range(count):
        r = copy.deepcopy(row)
        key = rng.choice(["input_ids"] * 3 + ["loss_mask", "labels"])
        seq = r[key]
        p, q = rng.randrange(len(seq)), rng.randrange(len(seq))
        op = rng.randrange(4)
        if op == 0:
            seq[p] = rng.randrange(-1, max(seq) + 3)
        elif op == 1:
            seq[p], seq[q] = seq[q], seq[p]
        elif op == 2:
            del seq[p]
        else:
            seq.insert(p, seq[q])
        if key == "input_ids" and len(seq) == len(r["loss_mask"]) and rng.random() < 0.5:
            r["labels"] = [t if m else -100 for t, m in zip(seq, r["loss_mask"])]
        yield r


@pytest.mark.parametrize("name, config", [
    ("depo", {}), ("depo", {"N": 12, "K": 3, "min_len": 2, "max_len": 3}),
    ("depo", {"qa": True, "N": 16, "K": 4}), ("depo", {"fixed_k": 2, "N": 10}),
    ("brevo", {}), ("brevo", {"qa": True, "N": 10}), ("brevo2", {}),
    ("mano", {}), ("mano", {"augment": True, "loss_on": "answer"}),
    ("mano", {"fixed_len": 4})])
def test_fast_token_checks_agree_with_the_full_checks(name, config):
    task = T.get(name, **config)
    rng = random.Random(7)
    accepted = refused = 0
    for seed in range(40):
        row = task.sample(random.Random(seed))
        assert task._row_holds(row)
        for mutant in _mutants(row, rng, 12):
            full = _outcome(task._validate_row, mutant)
            assert _outcome(task.validate_row, mutant) == full
            if task._row_holds(mutant):
                assert full == "ok"
                accepted += 1
            else:
                refused += full != "ok"
    assert accepted and refused > 200  # both ways exercised


@pytest.mark.parametrize("config", [{}, {"N": 50, "order": "fixed"}])
def test_fast_capo_check_agrees_with_the_full_check(config):
    task = T.get("capo", **config)
    rng = random.Random(3)
    refused = 0
    for seed in range(100):
        row = task.sample(random.Random(seed))
        assert task._row_holds(row)
        for op in range(6):
            r = copy.deepcopy(row)
            text, meta = r["text"], r["meta"]
            p = rng.randrange(len(text))
            if op == 0:
                r["text"] = text[:p] + "x" + text[p + 1:]
            elif op == 1:
                r["text"] = text[:p] + text[p + 1:]
            elif op == 2:
                meta["person"] = rng.choice([meta["person"] + 1, -1, "3", 10 ** 9])
            elif op == 3:
                meta["spans"][rng.choice(list(meta["spans"]))][rng.randrange(2)] += 1
            elif op == 4:
                meta["order"][rng.randrange(6)] = "major"
            else:
                r["text"] = text + " "
            full = _outcome(task._validate_row, r)
            assert _outcome(task.validate_row, r) == full
            assert not task._row_holds(r) or full == "ok"
            refused += full != "ok"
    assert refused > 400


def _reference_parser(name):
    """The plain top-down parse, memoised on (symbol, start), a bit mask of ends each."""
    root, rules = GRAMMARS[name]

    def parse(w):
        n, memo = len(w), {}

        def ends(sym, i):
            if (sym, i) not in memo:
                if sym not in rules:
                    mask = (1 << (i + 1)) if i < n and w[i] == sym else 0
                else:
                    mask = 0
                    for rhs in rules[sym]:
                        frontier = 1 << i
                        for s in rhs:
                            nxt = 0
                            while frontier:
                                low = frontier & -frontier
                                nxt |= ends(s, low.bit_length() - 1)
                                frontier ^= low
                            frontier = nxt
                        mask |= frontier
                memo[sym, i] = mask
            return memo[sym, i]

        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20_000))
        try:
            return bool(ends(root, 0) >> n & 1)
        finally:
            sys.setrecursionlimit(limit)
    return parse


@pytest.mark.parametrize("grammar", ["cfg3f", "cfg3k"])
def test_lano_parser_decides_as_the_plain_parse(grammar):
    task = T.get("lano", grammar=grammar)
    fast, reference = _parser(grammar), _reference_parser(grammar)
    rng = random.Random(5)
    accepted = 0
    for seed in range(10):
        s = task.sentence(random.Random(seed))
        cases = [s, s[:-1], s + [1], [True if t == 1 else t for t in s], s + [300], []]
        for _ in range(8):
            w = list(s)
            p = rng.randrange(len(w))
            if rng.random() < 0.5:
                w[p] = rng.choice([1, 2, 3])
            else:
                w.insert(p, rng.choice([1, 2, 3]))
            cases.append(w)
        for w in cases:
            got = fast(tuple(w))
            assert got == reference(tuple(w)), (seed, w)
            accepted += got
    assert accepted > 20


def _leaves(x):
    if isinstance(x, str):
        yield x
    else:
        for y in x:
            yield from _leaves(y)


@pytest.mark.parametrize("name, config", [
    ("poly_product", {}), ("poly_sum", {"field": "QQ"}), ("poly_addition", {}),
    ("poly_factor", {"field": "QQ", "symbols": "x"}), ("groebner", {}),
    ("unimodular_inverse", {})])
def test_backend_strings_are_read_as_the_token_parser_reads_them(name, config):
    task = T.get(name, **config)
    sym, field = task._symbols, task._field
    rng = random.Random(2)
    for seed in range(30):
        problem, answer = task(seed)
        for text in [*_leaves(to_strings(problem)), *_leaves(to_strings(answer))]:
            terms = read_canonical(text, sym, field)
            assert list(terms.items()) == list(parse_terms(text, sym, field).items())
            q = rng.randrange(len(text) + 1)
            # (a sign after a sign, a zero term, a monomial written twice, terms that cancel)
            for broken in (text[:q] + rng.choice(["+", " ", "*", "^", "/0", "**", "z", " + -",
                                                  "-", " - -", " + 0*"])
                           + text[q:], text[:q] + text[q + 1:], f"{text} + {text}",
                           f"{text} - {text}", f"-{text}"):
                try:
                    want = list(parse_terms(broken, sym, field).items())
                except (ValueError, ZeroDivisionError) as exc:
                    want = repr(exc)
                try:
                    got = read_canonical(broken, sym, field)
                except (ValueError, ZeroDivisionError) as exc:
                    got = repr(exc)
                assert got is None or (list(got.items()) if isinstance(got, dict)
                                       else got) == want


@pytest.mark.parametrize("name, config", [
    ("groebner", {}), ("groebner", {"symbols": "x, y", "degree": 4}),
    ("poly_reduction", {}), ("poly_reduction", {"field": "QQ", "order": "lex"})])
def test_groebner_checks_give_sympy_groebners_verdicts(name, config):
    import sympy

    from synthset.algebra import terms as TT
    from synthset.algebra.problems.base import poly_terms, sympy_poly

    task = T.get(name, **config)
    fld, sym = task._field, task._symbols
    order = {"lex": "lex", "deglex": "grlex", "degrevlex": "grevlex"}[task._order]
    verdicts = []
    for seed in range(15):
        try:
            problem, answer = map(to_strings, task(seed))
        except ValueError:  # poly_reduction: an ideal that is the whole ring
            continue
        for wrong in (False, True):
            a = answer
            if wrong:
                a = [*answer[:-1], answer[-1] + " + 1"] if isinstance(answer, list) \
                    else answer + " + 1"
            polys = [sympy_poly(task.terms_of(p), sym, fld) for p in problem]
            gens = polys if name == "groebner" else polys[1:]
            basis = sympy.groebner([g.as_expr() for g in gens], *polys[0].gens, order=order,
                                   domain=polys[0].domain)
            if name == "groebner":
                want = sorted(sorted(TT.normalize(poly_terms(sympy.Poly(
                    b, *polys[0].gens, domain=polys[0].domain), fld), fld, "lex").items())
                    for b in basis.exprs) == sorted(sorted(TT.normalize(
                        task.terms_of(g), fld, "lex").items()) for g in a)
            else:
                _, r = basis.reduce(polys[0].as_expr())
                want = poly_terms(sympy.Poly(r, *polys[0].gens, domain=polys[0].domain),
                                  fld) == task.terms_of(a)
            assert task.check(problem, a) == want
            verdicts.append(want)
    assert True in verdicts and False in verdicts


def _flat_statistics(task, *args):
    return tuple(task.statistics(*args)[category][name]
                 for category, name in task.STATISTICS_COLUMNS)


@pytest.mark.parametrize("name, config", [
    ("brevo", {}), ("brevo", {"qa": True, "N": 10}), ("brevo2", {}), ("mano", {}),
    ("mano", {"augment": True, "loss_on": "answer"}), ("capo", {}), ("depo", {}),
    ("depo", {"N": 12, "K": 3, "min_len": 2, "max_len": 3})])
def test_checked_keys_and_stored_statistics_are_the_full_ones(name, config):
    """``checked_key`` (what ``synthset check`` keys a row by while checking it) is the row's
    ``dedup_key`` when the row passes every check, else None; ``stored_statistic_values`` are
    the row's ``statistics`` in the task's STATISTICS_COLUMNS."""
    from synthset.core.identity import callable_identity

    task = T.get(name, **config)
    identity = callable_identity(task)
    rng = random.Random(5)
    keyed = refused = 0
    for seed in range(30):
        row = task.sample(random.Random(seed))
        assert task.checked_key(row) == task.dedup_key(row)
        assert task.stored_statistic_values(row) == _flat_statistics(task, row)
        assert len(task.STATISTICS_COLUMNS) == len(task.statistics(row)["row"]) + len(
            [v for v in row["meta"].values() if type(v) in (int, float)])  # every number
        assert task.checked_key({**row, "prompt": "p", "answer": "a"}) is None
        if name == "capo":
            continue  # its mutants: test_fast_capo_check_agrees_with_the_full_check
        for mutant in _mutants(row, rng, 8):
            key = task.checked_key(mutant)
            if key is None:
                refused += _outcome(task.validate_example, mutant) != "ok"
            else:
                assert _outcome(task.validate_example, mutant) == "ok"
                assert key == task.dedup_key(mutant)
                keyed += 1
    assert name == "capo" or refused > 100
    assert callable_identity(task) == identity  # the checks' caches are not its state


def test_brevo_cycle_test_and_answer_order():
    from synthset.tasks.brevo import _acyclic

    assert _acyclic({"b": ["a"], "c": ["a", "b"]}, {"a"})
    assert not _acyclic({"b": ["a", "c"], "c": ["b"]}, {"a"})
    assert not _acyclic({"a": ["a"]}, set())
    task = T.get("brevo", N=12)
    refused = degree = cycles = 0
    for seed in range(40):
        row = task.sample(random.Random(seed))
        start, stop = row["meta"]["answer_span"]  # the ancestors, then the query, then stop
        for a, b in ((start, stop - 1), (start, stop - 2), (start, start + 1)):
            r = copy.deepcopy(row)
            for seq in (r["input_ids"], r["labels"]):  # answer positions: labels are the ids
                seq[a], seq[b] = seq[b], seq[a]
            full = _outcome(task.validate_example, r)
            assert (task.checked_key(r) is None) == (full != "ok")
            refused += full.startswith("ValidationError")
        r = copy.deepcopy(row)  # the first five edges' tails made one node: out-degree 5
        for i in range(3, 11, 2):
            r["input_ids"][i] = r["input_ids"][1]
        full = _outcome(task.validate_example, r)
        assert (task.checked_key(r) is None) == (full != "ok") and full != "ok"
        degree += "out-degree" in full
        # every edge made a loop on its child, or turned around: a cycle through the query,
        # its ancestors or the rest of the graph (the fast check peels only the rest)
        edges = row["input_ids"].index(task.vocab["<query>"]) // 2
        for i in range(edges):
            for turn in (False, True):
                r = copy.deepcopy(row)
                ids = r["input_ids"]
                tail, head = 1 + 2 * i, 2 + 2 * i
                if turn:
                    ids[tail], ids[head] = ids[head], ids[tail]
                else:
                    ids[tail] = ids[head]
                full = _outcome(task.validate_example, r)
                assert (task.checked_key(r) is None) == (full != "ok")
                assert turn or full != "ok"
                cycles += "cycle" in full
    assert refused > 40 and degree and cycles > 100


def test_integer_factorization_check_and_stored_statistics():
    task = T.get("integer_factorization")
    rng = random.Random(2)
    for _ in range(50):
        problem, answer = task.generate(rng)
        stored, factors = to_strings(problem), to_strings(answer)
        assert task.verifies(stored, factors)
        assert task.stored_statistic_values(stored, factors) == \
            _flat_statistics(task, problem, answer)
        assert not task.verifies(stored, ["1", stored])  # the product, 1 no prime
        assert not task.verifies(stored, factors[::-1])
        assert not task.verifies(stored, [*factors[:-1], str(int(factors[-1]) + 2)])
    p = 999_983  # a composite of two primes the answers use is no prime either
    assert task.verifies(str(2 * 3 * p), ["2", "3", str(p)])
    assert not task.verifies(str(2 * 3 * p), ["6", str(p)])
    assert not task.verifies(str(4 * p), ["4", str(p)])


@pytest.mark.parametrize("name", ["depo", "brevo"])
def test_token_fast_checks_read_labels_and_mask_by_position(name):
    """The fast checks read the labels and the mask by counts and the answer slices: a trained
    label swapped with an untrained one (the counts unchanged), or a mask 1 moved off the
    answer, is refused with the full checks' message."""
    task = T.get(name)
    for seed in range(5):
        row = task.sample(random.Random(seed))
        trained = row["loss_mask"].index(1)
        for key in ("labels", "loss_mask"):
            r = copy.deepcopy(row)
            seq = r[key]
            seq[0], seq[trained] = seq[trained], seq[0]
            assert task.checked_key(r) is None
            assert not task._row_holds(r)
            full = _outcome(task._validate_row, r)
            assert _outcome(task.validate_row, r) == full
            assert full.startswith("ValidationError: labels[0] is ")  # the first wrong place


def test_gf17_addition_check_gives_the_running_sums_verdict():
    """The looked-up running sums give the plain loop's verdict, and its error, on other
    spellings, wrong sums and lengths too."""
    task = T.get("gf17_addition")
    rng = random.Random(4)

    def plain(problem, answer):
        total, ok = 0, len(problem) == len(answer)
        for v, s in zip(problem, answer):
            total = (total + int(v)) % 17
            ok &= total == int(s)
        return ok

    spellings = ["05", " 3", "17", "-1", "x", "", "+2", "3 "]
    seen = set()
    for _ in range(3000):
        made = task.generate(rng)
        problem, answer = map(to_strings, made)
        assert task.stored_statistic_values(problem, answer) == _flat_statistics(task, *made)
        for seq in rng.sample([problem, answer], rng.randrange(3)):
            seq[rng.randrange(len(seq))] = rng.choice(
                spellings + [str(rng.randrange(17))])
        if rng.random() < 0.1:
            answer = answer[:-1]
        outcomes = []
        for fn in (plain, task.check):
            try:
                outcomes.append(fn(problem, answer))
            except ValueError as exc:
                outcomes.append(str(exc))
        assert outcomes[1] == outcomes[0]
        seen.add(outcomes[0] if type(outcomes[0]) is bool else "error")
    assert seen == {True, False, "error"}
    assert task.check(["16", "2"], ["16", "1"]) and not task.check(["16", "2"], ["16", "18"])
