"""Capo — knowledge capacity: bioS biographies of N synthetic people (Part 3.3).

Each person has a unique full name (first x middle x last from 400 x 400 x 1000), a birth date
(12 months x 28 days x 200 years), birth city (200), university (300), major (100), employer
(263, each with a headquarters city, which is the work city) and a pronoun; attributes are
independent and uniform. An exposure is a biography of six sentences, one per attribute, each
from the attribute's templates (50 each, written for this project) drawn afresh; the full name
in the first sentence, the pronoun after. ``order: permuted`` writes the sentences in a fresh
random order per exposure, ``order: fixed`` always as birth date, birth city, university,
major, work city, employer.

The value lists are real names and places (Faker's US Census names, GeoNames' US cities, swot's
.edu institutions, ...) frozen in ``tasks/data/capo_values.json``, which
``scripts/build_capo_values.py`` rebuilds and whose ``sources`` name each list's provenance
and licence. A row is ``{"text", "meta"}`` with the character spans of the name and of every
value, so a trainer can sum its losses over exactly those tokens (``capacity_bits``).
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from functools import lru_cache

from synthset.core.errors import ConfigError
from synthset.core.task import digest, squash
from synthset.tasks.base import TokenTask, check, require_int

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
ATTRIBUTES = ("birth_date", "birth_city", "university", "major", "employer", "work_city")
SIZES = {"first": 400, "middle": 400, "last": 1000, "city": 200, "university": 300,
         "major": 100, "employer": 263}
N0 = 400 * 400 * 1000
S0 = 2 * (12 * 28 * 200) * 200 * 300 * 100 * 263

VALUES_FILE = "data/capo_values.json"  # package data of synthset.tasks


@lru_cache(maxsize=1)
def values() -> dict[str, list[str]]:
    """The frozen value lists (``tasks/data/capo_values.json``; the same on every machine)."""
    from importlib import resources

    data = json.loads(resources.files("synthset.tasks").joinpath(VALUES_FILE)
                      .read_text(encoding="utf-8"))
    for key, size in SIZES.items():
        if len(data[key]) != size or len(set(data[key])) != size:
            raise RuntimeError(f"{VALUES_FILE}: {key!r} must hold {size} distinct values")
    return {key: data[key] for key in SIZES}


@lru_cache(maxsize=1)
def _employer_index() -> dict[str, int]:
    return {e: i for i, e in enumerate(values()["employer"])}


# The templates, written for this project (none is the reference's). {v} is the value; exactly
# one of {S} (subject), {O} (object) or {P} (possessive) refers to the person: the full name in
# a biography's first sentence ("Abby Sofia Watson", "Abby Sofia Watson's"), else the pronoun
# (He/She, him/her, His/Her; lower case inside a sentence). {he}, {him} and {his} are later
# mentions, always the pronoun. A template is one sentence ending in its only period, never
# starts with {v}, and every slot follows a space or starts the sentence. Each sentence is
# written with one leading space (as the reference writes them), so a biography starts with a
# space and the name and every value follow one: a BPE tokenizer sees " Watson", " Modesto".
TEMPLATES: dict[str, list[str]] = {
    "birth_date": [
        "{S} was born on {v}, as {his} birth certificate shows.",
        "{P} date of birth, as shown on {his} passport, is {v}.",
        "{S} was born on {v}, a date {his} family still celebrates.",
        "{S} first opened {his} eyes on the morning of {v}.",
        "{S} drew {his} first breath in a small hospital room on {v}.",
        "Birth records kept by the county list {O} as born on {v}.",
        "{S} has a recorded birth date of {v}.",
        "{P} life began on {v}, in the middle of a busy week.",
        "{P} life story begins on {v}, the day {he} was born.",
        "{S} lists {v} as {his} date of birth on every official form.",
        "{P} birth certificate gives the date {v}.",
        "Official records show that {S} was born on {v}.",
        "According to family records, {S} was born on {v}.",
        "{P} parents brought {him} home from the hospital soon after {v}, the day {he} was born.",
        "{S} celebrates {his} birthday each year, having been born on {v}.",
        "The date {v} is when {S} was born, as {his} relatives recall.",
        "{S} was born in the early hours of {v}, just before dawn.",
        "{S} was born late in the evening of {v}.",
        "{P} birth was registered at the local records office on {v}.",
        "{P} birth date is listed as {v} in the public records.",
        "{S} was born at a local hospital on {v}.",
        "Relatives still remember that {S} was born on {v}.",
        "It was on {v} that {S} was born.",
        "On {v}, {S} was born into a family of modest means.",
        "{S} was born, as the records confirm, on {v}.",
        "{P} whole family gathered to celebrate {his} birth on {v}.",
        "{S} was first held in {his} mother's arms on {v}.",
        "{P} very first day of life was {v}.",
        "{S} writes {v} on every form that asks for {his} birth date.",
        "{P} mother gave birth to {him} on {v}.",
        "{S} became the newest member of {his} family on {v}.",
        "{S} was born on {v}, according to {his} passport.",
        "The calendar read {v} on the day {S} was born.",
        "{S} has {v} recorded as {his} birth date.",
        "{P} yearly birthday party marks the anniversary of {v}.",
        "The day {S} was born was {v}.",
        "{S} was born in a busy maternity ward on {v}.",
        "{P} parents have often told {him} that {he} was born on {v}.",
        "{S} gives {v} as {his} day of birth.",
        "Hospital records note that {S} was born on {v}.",
        "{S} was born as the sun rose on {v}.",
        "{P} earliest document, a birth record, is dated {v}.",
        "{P} birth, on {v}, was a happy day for {his} family.",
        "{S} came along on {v}, to the delight of {his} parents.",
        "{S} was born on a day {his} family remembers well, {v}.",
        "{P} driver's license shows a birth date of {v}.",
        "{S} was born on {v}, a day {his} parents will never forget.",
        "{P} date of birth is {v}.",
        "{S} made {his} first appearance on {v}.",
        "{S} was born on {v} and has lived a full life since then.",
    ],
    "birth_city": [
        "{S} was born in {v} and lived there as a small child.",
        "{S} counts {v} as {his} native city.",
        "{S} spent {his} infancy in {v}.",
        "{S} grew up in {v}, surrounded by {his} large family.",
        "{S} was raised in {v} by {his} parents.",
        "{P} hometown is {v}.",
        "{P} birthplace is {v}, a place {he} still visits often.",
        "{S} comes from {v} and still has family there.",
        "{S} spent {his} whole childhood in {v}.",
        "{S} was born in {v} and raised there too.",
        "{S} began {his} life in {v}.",
        "{P} family lived in {v} when {he} was born.",
        "{S} calls {v} {his} hometown.",
        "{S} originally comes from {v}.",
        "{S} was born in the city of {v}.",
        "The city of {v} is where {S} was born.",
        "{S} spent {his} formative years in {v}.",
        "{S} took {his} first steps in {v}.",
        "{P} roots are in {v}, where {his} family has lived for years.",
        "{S} grew up on the busy streets of {v}.",
        "{P} earliest memories are of {v}.",
        "{S} was born at a hospital in {v}.",
        "{S} lived in {v} throughout {his} childhood.",
        "{S} claims {v} as {his} place of birth.",
        "{P} place of birth is {v}.",
        "{S} first called {v} home.",
        "{S} is originally from {v}.",
        "{S} went to elementary school in {v}, the city of {his} birth.",
        "{S} proudly tells people that {he} is from {v}.",
        "Before moving away, {S} grew up in {v}.",
        "{S} grew up in a quiet neighborhood of {v}.",
        "{S} traces {his} family story to {v}.",
        "{S} spent the first years of {his} life in {v}.",
        "{P} family home was in {v}.",
        "{S} lists {v} as {his} birthplace on official documents.",
        "{S} still thinks of {v} as home.",
        "{S} is proud to have been born in {v}.",
        "It was in {v} that {S} was born.",
        "{S} was born and spent {his} youth in {v}.",
        "{S} returns often to {v}, where {he} was born.",
        "{P} childhood home stood on a quiet street in {v}.",
        "{S} was reared in {v} by a close-knit family.",
        "{S} played in the parks of {v} as a child.",
        "{P} birth took place in {v}.",
        "{S} was born to a local family in {v}.",
        "Friends know {O} as a child of {v}.",
        "{S} learned to ride a bike on the sidewalks of {v}, where {he} was born.",
        "{P} life began in {v}.",
        "{S} spent {his} school years in {v}, the city where {he} was born.",
        "{S} still speaks fondly of {v}, the city where {he} grew up.",
    ],
    "university": [
        "{S} studied full time at {v}.",
        "{S} graduated from {v} with honors.",
        "{S} attended {v}, where {he} spent four happy years.",
        "{S} is a graduate of {v}.",
        "{S} earned {his} first degree at {v}.",
        "{S} enrolled at {v} after finishing high school.",
        "{S} finished {his} undergraduate studies at {v}.",
        "{S} received {his} education at {v}.",
        "{S} went to college at {v}, several hours from home.",
        "{S} spent {his} college years at {v}, living in a dormitory.",
        "{P} alma mater is {v}.",
        "{S} holds a bachelor's degree from {v}.",
        "{S} was a student at {v} for four years.",
        "{S} sought a good education at {v}.",
        "{S} was admitted to {v} and studied there.",
        "{S} took classes at {v} and lived near campus.",
        "{S} chose to study at {v}.",
        "{S} continued {his} education at {v}.",
        "{S} went on to attend {v}.",
        "{P} undergraduate years were spent at {v}.",
        "{S} received a diploma from {v}.",
        "{S} did {his} undergraduate work at {v}.",
        "{S} was educated at {v}, a school {he} chose carefully.",
        "{S} matriculated at {v} in the fall semester.",
        "{S} finished college at {v}.",
        "After high school, {S} enrolled at {v}.",
        "{S} was accepted into {v} and graduated four years later.",
        "{S} spent {his} student days at {v}.",
        "{S} attended lectures at {v}.",
        "{S} obtained {his} degree from {v}.",
        "{S} completed a degree program at {v}.",
        "{S} is a proud graduate of {v}.",
        "{S} studied on the campus of {v}.",
        "{S} went to {v} for {his} higher education.",
        "{S} spent {his} university years at {v}.",
        "The school {S} graduated from is {v}.",
        "{S} received academic training at {v}.",
        "{S} studied as an undergraduate at {v}.",
        "{P} degree was awarded by {v}.",
        "{S} lived on campus while attending {v}.",
        "{S} was enrolled as a full-time student at {v}.",
        "{S} did all of {his} coursework at {v}.",
        "{S} counts {v} as {his} alma mater.",
        "{P} college education took place at {v}.",
        "{S} earned a scholarship to attend {v}.",
        "{S} spent four busy years studying at {v}.",
        "{S} made many lifelong friends while studying at {v}.",
        "{S} took {his} final exams at {v} and passed them all.",
        "{S} walked across the stage at {v} to receive {his} diploma.",
        "{S} chose {v} for {his} undergraduate studies.",
    ],
    "major": [
        "{S} majored in {v} at college.",
        "{S} studied {v} in college and enjoyed every class.",
        "{S} earned an undergraduate degree in {v}.",
        "{S} chose to specialize in {v}.",
        "{P} major at university was {v}.",
        "{S} focused {his} studies on {v}.",
        "{S} concentrated on {v} throughout college.",
        "{S} chose {v} as {his} major.",
        "{S} worked toward a degree in {v}.",
        "{S} holds a degree in {v}, which {he} earned with distinction.",
        "{P} field of study was {v}.",
        "{S} completed a major in {v}.",
        "{S} graduated with a degree in {v}.",
        "{S} earned {his} bachelor's degree in {v}.",
        "{S} took up {v} as {his} main subject.",
        "{S} spent most of {his} college years studying {v}.",
        "{S} did most of {his} coursework in {v}.",
        "{S} studied {v} as an undergraduate.",
        "{P} academic focus was {v}.",
        "{S} received rigorous training in {v}.",
        "{S} decided early on to major in {v}.",
        "{P} chosen field was {v}.",
        "{S} was a devoted student of {v}.",
        "{S} chose to study {v} after much thought.",
        "{S} took advanced courses in {v}.",
        "{S} pursued {v} in college.",
        "{S} has an academic background in {v}.",
        "{S} studied the subject of {v}.",
        "{P} degree, earned after four years of work, is in {v}.",
        "The subject {S} majored in was {v}.",
        "{S} graduated with a major in {v}.",
        "{S} enrolled in the program in {v}.",
        "{S} completed {his} degree in {v}.",
        "{S} built expertise in {v} during {his} studies.",
        "{S} chose {v} as {his} field.",
        "{S} read {v} at university and did well in it.",
        "{S} wrote {his} senior thesis in {v}.",
        "{S} declared a major in {v} in {his} second year.",
        "{S} studied {v} for four years.",
        "{P} studies centered on {v}.",
        "{S} followed {his} passion for {v} in college.",
        "{S} received a degree in the field of {v}.",
        "{S} was drawn to {v} and made it {his} major.",
        "{S} made the study of {v} {his} priority in college.",
        "{P} academic major was {v}.",
        "{S} spent long nights in the library studying {v}.",
        "{S} earned top grades in {v}, {his} major.",
        "Professors remember {O} as a dedicated student of {v}.",
        "{S} chose a course of study in {v}.",
        "{S} majored in {v} and graduated on time.",
    ],
    "employer": [
        "{S} works for {v}, a company {he} joined years ago.",
        "{S} is employed by {v} as a full-time worker.",
        "{S} works at {v} during the week.",
        "{S} joined {v} soon after finishing {his} studies.",
        "{S} has a steady job at {v}.",
        "{S} holds a senior position at {v}.",
        "{P} employer is {v}.",
        "{S} was hired by {v} after a long interview process.",
        "{S} is a member of the staff at {v}.",
        "{S} earns {his} living at {v}.",
        "{S} has worked for {v} for several years.",
        "{S} is an employee of {v}.",
        "{S} took a job with {v}.",
        "{S} accepted an offer of employment from {v}.",
        "{S} draws a monthly salary from {v}.",
        "{S} built {his} career at {v}.",
        "{P} current employer is {v}.",
        "{S} works full time for {v}.",
        "{S} is on the payroll of {v}.",
        "{S} began working for {v} after graduation.",
        "{S} belongs to a small team at {v}.",
        "{S} has an important role at {v}.",
        "{S} is currently employed at {v}.",
        "{S} serves as a staff member at {v}.",
        "{S} signed a contract to work with {v}.",
        "{S} started a career with {v}.",
        "{S} spends {his} workdays at {v}.",
        "{P} job is at {v}, where {he} has worked for years.",
        "The company that employs {O} is {v}.",
        "{S} holds a full-time job at {v}.",
        "{S} received a job offer from {v} and accepted it.",
        "{S} contributes {his} skills to {v}.",
        "{S} reports to work at {v}.",
        "{S} has been with {v} for years.",
        "{S} found employment with {v}.",
        "{P} paycheck comes from {v}.",
        "{S} landed {his} current job at {v}.",
        "{S} was recruited by {v}.",
        "{S} has spent {his} career at {v}.",
        "{S} went to work for {v} and has stayed there since.",
        "{S} is one of the employees of {v}.",
        "{S} made {his} career with {v}.",
        "{S} currently works for {v}.",
        "{S} is a longtime employee of {v}.",
        "The firm {S} works for is {v}.",
        "{P} colleagues all work for {v} as well.",
        "{S} interviewed at {v} and was offered the job.",
        "{S} has been on the staff of {v} since graduating.",
        "{S} was promoted twice while working at {v}.",
        "{S} is a valued employee at {v}.",
    ],
    "work_city": [
        "{S} works in {v} these days.",
        "{S} is based in {v} for work.",
        "{S} commutes to work in {v}.",
        "{P} office is in {v}, on the third floor of a tall building.",
        "{P} workplace is located in {v}.",
        "{S} has a small office in {v}.",
        "{S} spends {his} working days in {v}.",
        "{S} works out of {v} most of the year.",
        "{S} has a good job in {v}.",
        "{S} reports to an office in {v}.",
        "{S} moved to {v} for work several years ago.",
        "{S} relocated to {v} for {his} job.",
        "{P} job is located in {v}.",
        "{S} works at an office in {v}.",
        "{P} place of work is {v}.",
        "{S} goes to work in {v} every day.",
        "{S} pursues {his} career in {v}.",
        "{S} earns {his} living in {v}.",
        "{S} is stationed in {v} by {his} employer.",
        "{S} does {his} job in {v}, close to where {he} lives.",
        "{S} is professionally based in {v}.",
        "{S} took a job in {v} and moved there.",
        "{P} career is centered in {v}.",
        "{S} works in the city of {v}.",
        "The city where {S} works is {v}.",
        "{S} travels to {v} each day for work.",
        "{S} has worked in {v} for years.",
        "{P} daily commute ends in {v}.",
        "{S} settled in {v} to be close to work.",
        "{S} works every weekday in {v}.",
        "{S} spends {his} office hours in {v}.",
        "{S} is one of many commuters who work in {v}.",
        "{P} working life is spent in {v}.",
        "{S} practices {his} profession in {v}.",
        "{S} clocks in each morning in {v}.",
        "{P} employer's office is in {v}.",
        "{S} found work in {v} after a long search.",
        "{S} works from an office in {v}.",
        "{S} has a desk at an office in {v}.",
        "{S} earns a paycheck in {v} every two weeks.",
        "{S} moved to {v} to start {his} job.",
        "{S} works at a location in {v}.",
        "{S} heads to {v} every workday morning.",
        "{P} work takes {him} to {v} each day.",
        "{S} is employed at a site in {v}.",
        "{S} has built a career in {v}.",
        "{S} now works in {v}, a city {he} has come to love.",
        "It is in {v} that {S} works.",
        "{S} works in downtown {v}, near the train station.",
        "{P} professional life is based in {v}.",
    ],
}
FIXED_ORDER = ("birth_date", "birth_city", "university", "major", "work_city", "employer")
ORDERS = ("permuted", "fixed")
_REFS = ("{S}", "{O}", "{P}")
_FORMS = {"He": ("He", "him", "His"), "She": ("She", "her", "Her")}
NAME = "\x00"  # where the name goes in a compiled first sentence
# What a row's spans and sorted order hold (``CapoTask._row_holds``).
_SPANNED = {"name", *ATTRIBUTES}
_SORTED = sorted(ATTRIBUTES)


def _render(template: str, pronoun: str, named: bool) -> str:
    """One sentence as written: a leading space, then the template with the name (``NAME``)
    or the pronoun in its reference slot (capitalised only where it opens the sentence) and
    the pronoun in its later mentions."""
    subject, obj, possessive = _FORMS[pronoun]
    out = template
    for k, slot in enumerate(_REFS):
        if slot in out:
            word = (NAME, NAME, NAME + "'s")[k] if named else (subject, obj, possessive)[k]
            out = out.replace(slot, word if named or out.startswith(slot) else word.lower())
    out = out.replace("{he}", subject.lower()).replace("{him}", obj)
    return " " + out.replace("{his}", possessive.lower())


@lru_cache(maxsize=1)
def _compiled() -> dict:
    """Per pronoun and attribute: the first-sentence forms ``(a, b, c, name_first)`` (the
    sentence is a + name + b + value + c, or a + value + b + name + c) and the later-sentence
    forms ``(pre, post)`` (pre + value + post)."""
    out = {}
    for pronoun in _FORMS:
        per = out[pronoun] = {}
        for attr, templates in TEMPLATES.items():
            first, later = [], []
            for t in templates:
                pre, post = _render(t, pronoun, True).split("{v}")
                if NAME in pre:
                    first.append((*pre.split(NAME), post, True))
                else:
                    first.append((pre, *post.split(NAME), False))
                later.append(tuple(_render(t, pronoun, False).split("{v}")))
            per[attr] = (first, later)
    return out


@lru_cache(maxsize=1)
def _grammar() -> dict:
    """For reading a biography back: per pronoun and attribute, {text before the value:
    {text after it: template index}} of a first sentence (the name as ``NAME``) and of a later
    one."""
    out = {}
    for pronoun, per in _compiled().items():
        out[pronoun] = {}
        for attr, (first, later) in per.items():
            heads: dict[str, dict] = {}
            for i, (a, b, c, name_first) in enumerate(first):
                pre, post = (a + NAME + b, c) if name_first else (a, b + NAME + c)
                heads.setdefault(pre, {})[post] = i
            tails: dict[str, dict] = {}
            for i, (pre, post) in enumerate(later):
                tails.setdefault(pre, {})[post] = i
            out[pronoun][attr] = (heads, tails)
    return out


@dataclass
class CapoConfig:
    """Args:
        N: the number of people.
        population_seed: who they are (fixed per dataset).
        order: "permuted" (each exposure's six sentences in a fresh random order) or "fixed"
            (always birth date, birth city, university, major, work city, employer).
        ask: which sentence of a biography (0..5, in its text order) the example's question
            is about: the prompt is the biography up to that sentence's value, the answer the
            value. Rows are the same for every value.
    """

    N: int = 10_000
    population_seed: int = 0
    order: str = "permuted"
    ask: int = 5

    def validate(self) -> None:
        require_int("N", self.N, 1)
        require_int("ask", self.ask, 0)
        if self.ask > 5:
            raise ConfigError(f"ask must be a sentence position 0..5, got {self.ask}")
        if self.N > N0:
            raise ConfigError(f"N={self.N} exceeds the {N0} distinct full names")
        if self.order not in ORDERS:
            raise ConfigError(f"order must be 'permuted' or 'fixed', got {self.order!r}")


class CapoTask(TokenTask):
    family = name = "capo"
    summary = "bioS biographies of synthetic people (knowledge capacity)"
    Config = CapoConfig
    decoding = "greedy"
    answer_case_sensitive = False  # names, places, dates: "new york" is "New York"
    # Level: more people to know, and the asked fact later in the biography.
    LEVELS = {lv: {"N": n, "ask": a} for lv, (n, a) in enumerate(
        [(100, 0), (200, 0), (500, 1), (1000, 1), (2000, 2), (5000, 2), (10_000, 3),
         (20_000, 4), (50_000, 5), (100_000, 5)], 1)}

    def build_vocab(self):
        return None  # text rows: tokenised by the trainer (char-level or a local tokenizer)

    def decode(self, ids):
        raise TypeError("Capo rows are text; there is no task vocabulary to decode")

    def __getstate__(self):
        """The population is drawn from the config, so it is left out: a task's state is its
        identity (unchanged by having sampled), and workers draw it again themselves."""
        return {k: v for k, v in self.__dict__.items()
                if k not in ("_people", "_hq", "_at_hq")}

    @property
    def people(self) -> list[dict]:
        people = self.__dict__.get("_people")
        if people is None:
            people = self.__dict__["_people"] = self._population()
        return people

    @property
    def headquarters(self) -> list[int]:
        """Each employer's headquarters city (an index into the city list): the first 263
        draws of the population's random source."""
        if "_hq" not in self.__dict__:
            self.people  # noqa: B018 (drawn with the people)
        return self.__dict__["_hq"]

    def _population(self) -> list[dict]:
        c, v = self.config, values()
        rng = random.Random(c.population_seed)
        hq = self.__dict__["_hq"] = [rng.randrange(200) for _ in range(263)]
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
        """One biography (an exposure) of ``person`` (uniform when None): the order (fixed, or
        shuffled), then a template per sentence in text order."""
        p = rng.randrange(self.config.N) if person is None else person
        who = self.people[p]
        if self.config.order == "fixed":
            order = list(FIXED_ORDER)
        else:
            order = list(ATTRIBUTES)
            rng.shuffle(order)
        forms = _compiled()[who["pronoun"]]
        name, attr = who["name"], order[0]
        value = who[attr]
        first = forms[attr][0]
        a, b, c, name_first = first[rng.randrange(len(first))]
        if name_first:
            start = len(a) + len(name) + len(b)
            spans = {"name": [len(a), len(a) + len(name)], attr: [start, start + len(value)]}
            parts = [a, name, b, value, c]
            pos = start + len(value) + len(c)
        else:
            start = len(a) + len(value) + len(b)
            spans = {attr: [len(a), len(a) + len(value)], "name": [start, start + len(name)]}
            parts = [a, value, b, name, c]
            pos = start + len(name) + len(c)
        for attr in order[1:]:
            later = forms[attr][1]
            pre, post = later[rng.randrange(len(later))]
            value = who[attr]
            start = pos + len(pre)
            spans[attr] = [start, start + len(value)]
            parts += (pre, value, post)
            pos = start + len(value) + len(post)
        return {"text": "".join(parts), "meta": {"person": p, "spans": spans, "order": order}}

    def validate_row(self, example: dict) -> None:
        if not self._row_holds(example):
            self._validate_row(example)  # the checks that say what is wrong

    def checked_key(self, row: dict) -> str | None:
        """``dedup_key(row)`` when ``validate_example(row)`` surely passes (``_row_holds`` and
        no prompt or answer text to compare), else None."""
        if "prompt" in row or "answer" in row or not self._row_holds(row):
            return None
        return digest(row["text"])

    # ``statistics`` as one tuple of these columns (what ``synthset check`` keeps of every
    # stored row: one tuple a row instead of a dict of dicts)
    STATISTICS_COLUMNS = (("row", "length"), ("row", "loss_tokens"), ("meta", "person"))

    def stored_statistic_values(self, row: dict) -> tuple:
        """``statistics(row)`` in the order of STATISTICS_COLUMNS, for a text row whose
        ``meta`` is a sample's: its integer ``person``, its ``spans`` and ``order`` (anything
        else raises: the check then keeps no statistics)."""
        meta = row["meta"]
        person = meta["person"]
        if type(person) is not int or len(meta) != 3 or type(meta["spans"]) is not dict \
                or type(meta["order"]) is not list or "input_ids" in row:
            raise ValueError("not a text row whose meta is a sample's")
        return len(row["text"]), 0, person

    def _row_holds(self, example: dict) -> bool:
        """Whether every check of ``_validate_row`` (and ``templates_used``) passes, with no
        message made on the way; False (or anything unexpected) sends the row to
        ``_validate_row``."""
        try:
            text, meta = example["text"], example["meta"]
            person, spans, order = meta["person"], meta["spans"], meta["order"]
            c = self.config
            if not (isinstance(person, int) and 0 <= person < c.N and isinstance(spans, dict)
                    and spans.keys() == _SPANNED and isinstance(order, list)
                    and sorted(order) == _SORTED and (c.order != "fixed"
                                                      or tuple(order) == FIXED_ORDER)):
                return False
            who = self.people[person]
            name = who["name"]
            ns, ne = spans["name"]
            if text[ns:ne] != name:
                return False
            for attr in ATTRIBUTES:
                s, e = spans[attr]
                if text[s:e] != who[attr]:
                    return False
            if text.count(name) != 1:
                return False
            shift = ne - ns - 1
            norm = text[:ns] + NAME + text[ne:]
            grammar = _grammar()[who["pronoun"]]
            pos, later = 0, 0
            for attr in order:
                s, e = spans[attr]
                if s >= ne:
                    s, e = s - shift, e - shift
                for post in grammar[attr][later].get(norm[pos:s], ()):
                    if norm.startswith(post, e):
                        break
                else:
                    return False
                pos, later = e + len(post), 1
            return pos == len(norm) and self._works_at_headquarters()[person]
        except Exception:  # the slow checks raise what the row deserves
            return False

    def _works_at_headquarters(self) -> list[bool]:
        """Per person, whether the work city is the employer's headquarters (the last check
        of ``_validate_row``; the population is the config's), made once a task."""
        found = self.__dict__.get("_at_hq")
        if found is None:
            cities, index, hq = values()["city"], _employer_index(), self.headquarters
            found = self.__dict__["_at_hq"] = [
                who["work_city"] == cities[hq[index[who["employer"]]]] for who in self.people]
        return found

    def _validate_row(self, example: dict) -> None:
        text, meta = example["text"], example["meta"]
        person, spans, order = meta["person"], meta["spans"], meta["order"]
        check(isinstance(person, int) and 0 <= person < self.config.N,
              f"person {person!r} is not one of the {self.config.N} people")
        who = self.people[person]
        check(isinstance(spans, dict) and set(spans) == {"name", *ATTRIBUTES},
              "spans must cover the name and six values")
        check(isinstance(order, list) and sorted(order) == sorted(ATTRIBUTES),
              "a biography has six sentences, one per attribute")
        if self.config.order == "fixed":
            check(tuple(order) == FIXED_ORDER, "order: fixed writes birth date, birth city, "
                  "university, major, work city, employer")
        s, e = spans["name"]
        check(text[s:e] == who["name"], "the name span does not hold the person's name")
        for attr in ATTRIBUTES:
            s, e = spans[attr]
            check(text[s:e] == who[attr], f"the {attr} span does not hold {who[attr]!r}")
        check(text.count(who["name"]) == 1, "the full name must appear once (pronoun after)")
        self.templates_used(example)
        hq = self.headquarters[_employer_index()[who["employer"]]]
        check(who["work_city"] == values()["city"][hq],
              "the work city is not the employer's headquarters")

    def templates_used(self, row: dict) -> list[int]:
        """The template (an index into ``TEMPLATES[attr]``) of each sentence, in text order;
        raises ValidationError where a sentence is not one of its attribute's templates with
        the name (first sentence) or the person's pronoun (later ones) after one space."""
        text, meta = row["text"], row["meta"]
        who, spans = self.people[meta["person"]], meta["spans"]
        ns, ne = spans["name"]
        shift = ne - ns - 1
        norm = text[:ns] + NAME + text[ne:]  # the name as one placeholder character
        grammar = _grammar()[who["pronoun"]]
        used, pos = [], 0
        for i, attr in enumerate(meta["order"]):
            s, e = spans[attr]
            if s >= ne:
                s, e = s - shift, e - shift
            posts = grammar[attr][1 if i else 0].get(norm[pos:s], {})
            post = next((t for t in posts if norm.startswith(t, e)), None)
            check(post is not None, f"sentence {i + 1} ({attr}) is not one of its templates "
                  f"with {'the name' if i == 0 else 'the pronoun ' + repr(who['pronoun'])}")
            used.append(posts[post])
            pos = e + len(post)
        check(pos == len(norm), "the text goes on after the sixth sentence")
        return used

    # -- the contract ----------------------------------------------------------------------
    def texts(self, row: dict) -> tuple[str, str]:
        """Prompt: the biography up to the asked value. Answer: the value."""
        start, stop = row["meta"]["spans"][row["meta"]["order"][self.config.ask]]
        return row["text"][:start], row["text"][start:stop]

    def _score(self, text: str, example: dict) -> float:
        """The person's own value for the asked attribute (from the population, not the text)."""
        meta = example["meta"]
        value = self.people[meta["person"]][meta["order"][self.config.ask]]
        return float(squash(text).casefold() == value.casefold())

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


def capacity_bits(p1: float, p2: float, N: int) -> float:
    """Knowledge bits learned (Part 3.3): N log2(N0 / e^p1) + N log2(S0 / e^p2), where p1 and
    p2 are the summed cross-entropies (nats) of the name and of the attribute-value tokens,
    averaged over people. Each term is at least 0 (a model cannot know less than nothing)."""
    name_bits = max(0.0, N * (math.log2(N0) - p1 / math.log(2)))
    value_bits = max(0.0, N * (math.log2(S0) - p2 / math.log(2)))
    return name_bits + value_bits
