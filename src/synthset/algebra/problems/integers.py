"""CALT's integer examples: the sum demo, cumulative sums mod 17, and integer factorisation."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from itertools import accumulate

from synthset.algebra.fields import is_prime
from synthset.algebra.problems.base import Problem


@dataclass
class IntegerSum(Problem):
    """CALT's README demo: random integers; answer their sum."""

    count: int = 5  # how many integers
    bound: int = 1000  # each in [-bound, bound]

    LEVELS = {lv: {"count": c, "bound": b} for lv, (c, b) in enumerate(
        [(2, 9), (2, 99), (3, 99), (3, 999), (4, 999), (5, 9999), (6, 9999), (8, 99999),
         (10, 99999), (12, 999999)], 1)}

    def generate(self, rng):
        problem = [rng.randint(-self.bound, self.bound) for _ in range(self.count)]
        return problem, sum(problem)

    def check(self, problem, answer) -> bool:
        return sum(map(int, problem)) == int(answer)

    def _score(self, text: str, example: dict) -> float:
        """``check`` on the text itself: ``int`` reads past the spaces the generic reader
        strips."""
        return float(self.check(example["meta"]["problem"], text))

    def statistics(self, problem, answer):
        return {"problem": {"length": len(problem), "max_abs": max(map(abs, problem))},
                "answer": {"abs": abs(answer)}}


@dataclass
class GF17Addition(Problem):
    """CALT's gf17_addition: numbers of GF(p); answer their cumulative sums mod p."""

    max_length: int = 10  # the problem has 2..max_length numbers
    p: int = 17  # the prime modulus

    LEVELS = {lv: {"max_length": n} for lv, n in enumerate([2, 3, 4, 5, 6, 8, 10, 12, 16, 20], 1)}

    def generate(self, rng):
        values = [rng.randint(0, self.p - 1) for _ in range(rng.randint(2, self.max_length))]
        sums, total = [], 0
        for v in values:
            total = (total + v) % self.p
            sums.append(total)
        return values, sums

    def check(self, problem, answer) -> bool:
        p = self.p
        if type(problem) is list and type(answer) is list and len(problem) == len(answer):
            # as the generator writes them (no sign, no leading zero, below p): each sum's
            # text from the previous one's and the value's, looked up; a row found so is
            # right (each sum follows from the right previous one), any other goes on
            after = _next_sums(p)
            if after is not None and answer and list(map(after.get, zip(
                    ["0", *answer[:-1]], problem))) == answer:
                return True
            # the loop's verdict: the running sums, each taken mod p, against the answer's
            # integers, in C-level passes (a text that is no integer: the loop raises it)
            try:
                return [s % p for s in accumulate(map(int, problem))] == list(map(int, answer))
            except (TypeError, ValueError):
                pass
        total, ok = 0, len(problem) == len(answer)
        for v, s in zip(problem, answer):
            total = (total + int(v)) % p
            ok &= total == int(s)
        return ok

    def _score(self, text: str, example: dict) -> float:
        """``check`` on the text split at ``|`` (``int`` reads past the spaces the generic
        reader strips)."""
        return float(self.check(example["meta"]["problem"], text.split("|")))

    def statistics(self, problem, answer):
        return {"problem": {"length": len(problem)}, "answer": {"length": len(answer)}}

    # ``stored_statistics`` as one tuple of these columns (see IntegerFactorization)
    STATISTICS_COLUMNS = (("problem", "length"), ("answer", "length"))

    def stored_statistic_values(self, problem, answer) -> tuple:
        """``statistics`` of a stored sample in the order of STATISTICS_COLUMNS."""
        return len(problem), len(answer)


@functools.lru_cache(maxsize=8)
def _next_sums(p: int) -> dict | None:
    """``{(str(a), str(v)): str((a + v) % p)}`` for a and v in 0 .. p - 1 (None for p over
    256: too large a table)."""
    if p > 256:
        return None
    return {(str(a), str(v)): str((a + v) % p) for a in range(p) for v in range(p)}


def _primes_below(n: int) -> list[int]:
    sieve = bytearray([1]) * n
    sieve[:2] = b"\x00\x00"
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytearray(len(sieve[i * i::i]))
    return [i for i, ok in enumerate(sieve) if ok]


@dataclass
class IntegerFactorization(Problem):
    """CALT's integer factorisation: a product of distinct primes; answer the primes."""

    max_factors: int = 4  # 2..max_factors distinct primes
    prime_bound: int = 1000  # every prime below this

    LEVELS = {lv: {"max_factors": f, "prime_bound": b} for lv, (f, b) in enumerate(
        [(2, 20), (2, 50), (3, 100), (3, 200), (4, 500), (4, 1000), (5, 2000), (5, 5000),
         (6, 10000), (6, 20000)], 1)}

    def __post_init__(self):
        super().__post_init__()
        self._primes = _primes_below(self.prime_bound)
        self._prime_set = frozenset(self._primes)

    def generate(self, rng):
        primes = sorted(rng.sample(self._primes, rng.randint(2, self.max_factors)))
        return math.prod(primes), primes

    def check(self, problem, answer) -> bool:
        """Distinct primes, ascending, whose product is the problem; each prime by
        Miller-Rabin, independent of the sieve the generator draws from."""
        return _factorises(problem, answer if isinstance(answer, list) else [answer],
                           _known_prime)

    def _score(self, text: str, example: dict) -> float:
        """``check``'s property on the text's integers (split at ``|``: ``int`` ignores the
        spaces the generic reader strips), a factor below ``prime_bound`` looked up in the
        sieve (a set lookup: Miller-Rabin's 13 rounds take ~4 µs a factor)."""
        primes, bound = self._prime_set, self.prime_bound
        return float(_factorises(example["meta"]["problem"], text.split("|"),
                                 lambda n: n in primes if n < bound else is_prime(n)))

    def statistics(self, problem, answer):
        return {"problem": {"digits": len(str(problem))}, "answer": {"num_factors": len(answer)}}

    # ``stored_statistics`` as one tuple of these columns (what ``synthset check`` keeps of
    # every stored sample: one tuple a sample instead of a dict of dicts)
    STATISTICS_COLUMNS = (("problem", "digits"), ("answer", "num_factors"))

    def stored_statistic_values(self, problem, answer) -> tuple:
        """``statistics`` of a stored sample (the problem's string, the answer's list of
        strings) in the order of STATISTICS_COLUMNS: the same numbers, without making the
        integer again."""
        return len(problem) if type(problem) is str else len(str(problem)), len(answer)


# is_prime's verdicts already reached in this process (the factors of a run repeat: a check
# decides each one once), up to this many numbers; _PROVED holds those found prime, for one
# set test of a whole answer
_PRIMES: dict = {}
_PROVED: set = set()
_PRIMES_KEPT = 1 << 20


def _known_prime(n: int) -> bool:
    """``is_prime(n)``, remembered."""
    found = _PRIMES.get(n)
    if found is None:
        found = is_prime(n)
        if len(_PRIMES) < _PRIMES_KEPT:
            _PRIMES[n] = found
            if found:
                _PROVED.add(n)
    return found


def _factorises(problem, answer: list, prime) -> bool:
    """``answer`` (integers or their strings) is the problem's distinct prime factors in
    ascending order, ``prime`` telling primes apart (with ``_known_prime``, factors already
    proved prime are looked up at once)."""
    factors = list(map(int, answer))
    return (math.prod(factors) == int(problem) and factors == sorted(set(factors))
            and (prime is _known_prime and _PROVED.issuperset(factors)
                 or all(map(prime, factors))))
