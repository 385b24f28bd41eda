"""Capo — knowledge capacity: bioS biographies of N synthetic people (Part 3.3).

Each person has a unique full name (first x middle x last from 400 x 400 x 1000), a birth date
(12 months x 28 days x 200 years), birth city (200), university (300), major (100), employer
(263, each with a headquarters city, which is the work city) and a pronoun; attributes are
independent and uniform. An exposure is a biography of six sentences (birth date, birth city,
university, major, employer, work city), each from 50 templates per attribute drawn afresh, in
a fresh random order; the full name in the first sentence, the pronoun after.

Decision (docs/tasks.md): the value lists and templates are our own — made once, deterministically,
from fixed syllable and phrase lists below (no Faker, no download), at the paper's sizes. A row
is ``{"text", "meta"}`` with the character spans of the name and of every value, so a trainer
can sum its losses over exactly those tokens (``capacity_bits``).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

from synthset.core.task import digest, squash
from synthset.tasks.base import TokenTask, check, require_int

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
ATTRIBUTES = ("birth_date", "birth_city", "university", "major", "employer", "work_city")
SIZES = {"first": 400, "middle": 400, "last": 1000, "city": 200, "university": 300,
         "major": 100, "employer": 263}
N0 = 400 * 400 * 1000
S0 = 2 * (12 * 28 * 200) * 200 * 300 * 100 * 263

_ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v",
           "w", "z", "br", "ch", "cl", "dr", "fr", "gr", "kr", "pl", "sh", "st", "th", "tr"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"]
_CODAS = ["", "n", "r", "l", "s", "th", "m", "x", "nd", "rk"]


def _names(count: int, seed: int, syllables: tuple[int, int]) -> list[str]:
    rng = random.Random(seed)
    out, seen = [], set()
    while len(out) < count:
        k = rng.randint(*syllables)
        name = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(k))
        name = (name + rng.choice(_CODAS)).capitalize()
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


@lru_cache(maxsize=1)
def values() -> dict[str, list[str]]:
    """The frozen value lists (made once per process; the same on every machine)."""
    cities = [f"{p}{n}" for p, n in zip(
        ["", "Port ", "New ", "East ", "West ", "Fort ", "Lake ", "Mount "] * 25,
        _names(200, 11, (2, 3)))]
    fields = ["Physics", "Chemistry", "Biology", "History", "Economics", "Mathematics",
              "Linguistics", "Philosophy", "Geology", "Astronomy", "Psychology", "Sociology",
              "Architecture", "Statistics", "Music", "Law", "Medicine", "Engineering",
              "Literature", "Ecology"]
    kinds = ["", "Applied ", "Computational ", "Theoretical ", "Experimental "]
    majors = [f"{k}{f}" for k in kinds for f in fields]
    unis = []
    for i, base in enumerate(_names(300, 13, (2, 3))):
        unis.append([f"University of {base}", f"{base} Institute of Technology",
                     f"{base} College", f"{base} State University",
                     f"Royal Academy of {base}"][i % 5])
    suffixes = ["Corp", "Labs", "Group", "Systems", "Industries", "Partners", "Holdings"]
    employers = [f"{b} {suffixes[i % len(suffixes)]}"
                 for i, b in enumerate(_names(263, 17, (2, 3)))]
    return {"first": _names(400, 1, (1, 2)), "middle": _names(400, 2, (1, 2)),
            "last": _names(1000, 3, (2, 3)), "city": cities, "university": unis,
            "major": majors, "employer": employers}


def _templates() -> dict[str, list[str]]:
    """50 templates per attribute: {s} is the subject (name or pronoun), {v} the value."""
    leads = ["", "Records show that ", "It is known that ", "Notably, ", "As it happens, "]
    frames = {
        "birth_date": ["{s} was born on {v}.", "{s} came into the world on {v}.",
                       "{s} celebrates a birthday on {v}.", "{s} marks {v} as a birthday.",
                       "{s} was born on the date {v}.", "{s} entered life on {v}.",
                       "{s} first saw daylight on {v}.", "{s} arrived on {v}.",
                       "{s} has {v} as a birth date.", "{s} was delivered on {v}."],
        "birth_city": ["{s} was born in {v}.", "{s} spent early years in {v}.",
                       "{s} hails from {v}.", "{s} grew up in {v}.",
                       "{s} was born and raised in {v}.", "{s} comes from {v}.",
                       "{s} was raised in {v}.", "{s} is a native of {v}.",
                       "{s} began life in {v}.", "{s} first lived in {v}."],
        "university": ["{s} studied at {v}.", "{s} graduated from {v}.",
                       "{s} attended {v}.", "{s} received an education at {v}.",
                       "{s} completed a degree at {v}.", "{s} was a student at {v}.",
                       "{s} enrolled at {v}.", "{s} is an alumnus of {v}.",
                       "{s} spent university years at {v}.", "{s} trained at {v}."],
        "major": ["{s} majored in {v}.", "{s} studied {v}.", "{s} focused on {v}.",
                  "{s} specialized in {v}.", "{s} earned a degree in {v}.",
                  "{s} concentrated on {v}.", "{s} chose {v} as a major.",
                  "{s} pursued {v}.", "{s} read {v}.", "{s} took up {v}."],
        "employer": ["{s} works for {v}.", "{s} is employed by {v}.", "{s} joined {v}.",
                     "{s} holds a job at {v}.", "{s} has a position at {v}.",
                     "{s} is on the staff of {v}.", "{s} earns a living at {v}.",
                     "{s} was hired by {v}.", "{s} serves at {v}.", "{s} works at {v}."],
        "work_city": ["{s} works in {v}.", "{s} commutes to {v}.", "{s} is based in {v}.",
                      "{s} spends working days in {v}.", "{s} has an office in {v}.",
                      "{s} earns a living in {v}.", "{s} reports to an office in {v}.",
                      "{s} does business in {v}.", "{s} is stationed in {v}.",
                      "{s} works out of {v}."],
    }
    return {a: [lead + f for lead in leads for f in fs] for a, fs in frames.items()}


TEMPLATES = _templates()


@dataclass
class CapoConfig:
    """Args:
        N: the number of people.
        population_seed: who they are (fixed per dataset).
        ask: which sentence of a biography (0..5, in its text order) the example's question
            is about: the prompt is the biography up to that sentence's value, the answer the
            value. Rows are the same for every value.
    """

    N: int = 10_000
    population_seed: int = 0
    ask: int = 5

    def validate(self) -> None:
        require_int("N", self.N, 1)
        require_int("ask", self.ask, 0)
        if self.ask > 5:
            from synthset.core.errors import ConfigError

            raise ConfigError(f"ask must be a sentence position 0..5, got {self.ask}")
        if self.N > N0:
            from synthset.core.errors import ConfigError

            raise ConfigError(f"N={self.N} exceeds the {N0} distinct full names")


class CapoTask(TokenTask):
    family = name = "capo"
    summary = "bioS biographies of synthetic people (knowledge capacity)"
    Config = CapoConfig
    decoding = "greedy"
    # Level: more people to know, and the asked fact later in the biography.
    LEVELS = {lv: {"N": n, "ask": a} for lv, (n, a) in enumerate(
        [(100, 0), (200, 0), (500, 1), (1000, 1), (2000, 2), (5000, 2), (10_000, 3),
         (20_000, 4), (50_000, 5), (100_000, 5)], 1)}

    def build_vocab(self):
        return None  # text rows: tokenised by the trainer (char-level or a local tokenizer)

    def decode(self, ids):
        raise TypeError("Capo rows are text; there is no task vocabulary to decode")

    @property
    def people(self) -> list[dict]:
        people = self.__dict__.get("_people")
        if people is None:
            people = self.__dict__["_people"] = self._population()
        return people

    def _population(self) -> list[dict]:
        c, v = self.config, values()
        rng = random.Random(c.population_seed)
        hq = [rng.randrange(200) for _ in range(263)]  # each employer's headquarters city
        names = set()
        people = []
        while len(people) < c.N:
            name = (rng.randrange(400), rng.randrange(400), rng.randrange(1000))
            if name in names:
                continue
            names.add(name)
            employer = rng.randrange(263)
            people.append({
                "name": f"{v['first'][name[0]]} {v['middle'][name[1]]} {v['last'][name[2]]}",
                "birth_date": f"{MONTHS[rng.randrange(12)]} {rng.randint(1, 28)}, "
                              f"{1900 + rng.randrange(200)}",
                "birth_city": v["city"][rng.randrange(200)],
                "university": v["university"][rng.randrange(300)],
                "major": v["major"][rng.randrange(100)],
                "employer": v["employer"][employer],
                "work_city": v["city"][hq[employer]],
                "pronoun": ["He", "She"][rng.randrange(2)],
            })
        return people

    def sample(self, rng, person: int | None = None) -> dict:
        """One biography (an exposure) of ``person`` (uniform when None)."""
        p = rng.randrange(self.config.N) if person is None else person
        who = self.people[p]
        order = list(ATTRIBUTES)
        rng.shuffle(order)
        text, spans = "", {}
        for i, attr in enumerate(order):
            template = TEMPLATES[attr][rng.randrange(len(TEMPLATES[attr]))]
            subject = who["name"] if i == 0 else who["pronoun"]
            if i > 0 and not template.startswith("{s}"):
                subject = subject.lower()  # "Notably, he ..."
            before, after = template.split("{v}")
            head = before.replace("{s}", subject)
            if i == 0:
                spans["name"] = [len(text) + head.index(subject), len(text) + head.index(
                    subject) + len(subject)]
            start = len(text) + len(head)
            spans[attr] = [start, start + len(who[attr])]
            text += head + who[attr] + after.replace("{s}", subject) + (" " if i < 5 else "")
        return {"text": text, "meta": {"person": p, "spans": spans, "order": order}}

    def validate_row(self, example: dict) -> None:
        text, meta = example["text"], example["meta"]
        who = self.people[meta["person"]]
        spans = meta["spans"]
        check(set(spans) == {"name", *ATTRIBUTES}, "spans must cover the name and six values")
        s, e = spans["name"]
        check(text[s:e] == who["name"], "the name span does not hold the person's name")
        first_sentence_end = text.index(".") if "." in text else len(text)
        check(s < first_sentence_end, "the full name is not in the first sentence")
        for attr in ATTRIBUTES:
            s, e = spans[attr]
            check(text[s:e] == who[attr], f"the {attr} span does not hold {who[attr]!r}")
        check(text.count(who["name"]) == 1, "the full name must appear once (pronoun after)")
        check(sorted(meta["order"]) == sorted(ATTRIBUTES) and len(text.split(". ")) == 6,
              "a biography has six sentences, one per attribute")
        check(who["work_city"] == values()["city"][self._hq(who["employer"])],
              "the work city is not the employer's headquarters")

    # -- the contract ----------------------------------------------------------------------
    def texts(self, row: dict) -> tuple[str, str]:
        """Prompt: the biography up to the asked value. Answer: the value."""
        start, stop = row["meta"]["spans"][row["meta"]["order"][self.config.ask]]
        return row["text"][:start], row["text"][start:stop]

    def _score(self, text: str, example: dict) -> float:
        """The person's own value for the asked attribute (from the population, not the text)."""
        meta = example["meta"]
        return float(squash(text) == self.people[meta["person"]][meta["order"][self.config.ask]])

    def loss_spans(self, example: dict) -> dict[str, list[list[int]]]:
        """The name and the six values: the tokens capacity is measured on."""
        spans = example["meta"]["spans"]
        return {"name": [spans["name"]], "values": [spans[a] for a in ATTRIBUTES]}

    def metrics_from_losses(self, losses: dict[str, float], parameters: int) -> dict:
        """Knowledge bits (``capacity_bits``) and bits per parameter."""
        bits = capacity_bits(losses["name"], losses["values"], self.config.N)
        return {"bits": bits, "bits_per_parameter": bits / max(1, parameters)}

    def dedup_key(self, example: dict) -> str:
        """The whole biography (an exposure: the same person in other words is another one)."""
        return digest(example["text"])

    def _hq(self, employer: str) -> int:
        rng = random.Random(self.config.population_seed)
        hq = [rng.randrange(200) for _ in range(263)]
        return hq[values()["employer"].index(employer)]


def capacity_bits(p1: float, p2: float, N: int) -> float:
    """Knowledge bits learned (Part 3.3): N log2(N0 / e^p1) + N log2(S0 / e^p2), where p1 and
    p2 are the summed cross-entropies (nats) of the name and of the attribute-value tokens,
    averaged over people. Each term is at least 0 (a model cannot know less than nothing)."""
    name_bits = max(0.0, N * (math.log2(N0) - p1 / math.log(2)))
    value_bits = max(0.0, N * (math.log2(S0) - p2 / math.log(2)))
    return name_bits + value_bits
