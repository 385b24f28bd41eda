"""Coefficient fields and term orders, as strings users write, checked once.

Fields: ``QQ``, ``ZZ``, ``RR``, ``GF(p)`` or ``GFp`` with p prime. Orders: ``lex``, ``grlex``
(= ``deglex``), ``grevlex`` (= ``degrevlex``); each backend is handed the name it uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synthset.core.errors import ConfigError, bad_choice

_GF = re.compile(r"^GF\(?\s*(-?\d+)\s*\)?$")


@dataclass(frozen=True)
class Field:
    """A coefficient field: ``kind`` is QQ, ZZ, RR or GF (then ``p`` is its prime)."""

    kind: str
    p: int | None = None

    def __str__(self) -> str:
        return f"GF({self.p})" if self.kind == "GF" else self.kind

    @property
    def is_finite(self) -> bool:
        return self.kind == "GF"


def is_prime(n: int) -> bool:
    """Trial division by the primes up to 41 (which decides every n below 43**2), then
    deterministic Miller-Rabin for n < 3.3e24 (bases 2..41)."""
    if n < 2:
        return False
    for q in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41):
        if n % q == 0:
            return n == q
    if n < 43 * 43:  # no prime factor up to 41 and below 43**2: prime
        return True
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def parse_field(field_str) -> Field:
    """``"QQ"``, ``"ZZ"``, ``"RR"``, ``"GF(7)"`` or ``"GF7"`` -> Field; anything else is a
    ConfigError naming the value."""
    if isinstance(field_str, Field):
        return field_str
    text = str(field_str).strip()
    if text in ("QQ", "ZZ", "RR"):
        return Field(text)
    match = _GF.match(text)
    if not match:
        raise ConfigError(
            f"field {field_str!r} is not supported: use QQ, ZZ, RR, GF(p) or GFp with p prime")
    p = int(match.group(1))
    if p <= 1:
        raise ConfigError(f"field {field_str!r}: the size of GF(p) must be a prime > 1, got {p}")
    if not is_prime(p):
        raise ConfigError(f"field {field_str!r}: {p} is not prime (GF(p) needs a prime p; "
                          "prime powers are not supported)")
    return Field("GF", p)


ORDERS = {"lex": "lex", "grlex": "deglex", "deglex": "deglex", "grevlex": "degrevlex",
          "degrevlex": "degrevlex"}


def parse_order(order) -> str:
    """A term order name -> ``lex``, ``deglex`` or ``degrevlex``."""
    name = str(order)
    if name not in ORDERS:
        raise bad_choice("order", name, list(ORDERS))
    return ORDERS[name]


def parse_symbols(symbols) -> tuple[str, ...]:
    """``"x, y"``, ``"x y"``, ``"x0:3"`` (x0, x1, x2) or a sequence -> a tuple of names."""
    if isinstance(symbols, str):
        parts = [s for s in re.split(r"[,\s]+", symbols.strip()) if s]
        names: list[str] = []
        for part in parts:
            m = re.match(r"^([A-Za-z_]+)(\d+):(\d+)$", part)
            if m:
                names.extend(f"{m.group(1)}{i}" for i in range(int(m.group(2)), int(m.group(3))))
            else:
                names.append(part)
    else:
        names = [str(s) for s in symbols]
    if not names:
        raise ConfigError("symbols must name at least one variable, e.g. 'x, y'")
    for name in names:
        if not re.match(r"^[A-Za-z_][A-Za-z_0-9]*$", name):
            raise ConfigError(f"symbol {name!r} is not a valid variable name")
    if len(set(names)) != len(names):
        raise ConfigError(f"symbols {names} repeat a name")
    return tuple(names)
