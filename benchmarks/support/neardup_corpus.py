"""A labelled near-duplicate corpus, generated deterministically (no publisher text).

Synthetic news stories built from sentence templates and word lists with a seeded RNG, then:

positives (must be flagged as duplicates of the original):
    ``exact``      the same text under another URL;
    ``syndicated`` another site's template: dateline, agency credit, footer boilerplate,
                   typographic quotes;
    ``headline``   changed headline and rewritten first sentence;
    ``added``      one paragraph added;
    ``removed``    one paragraph removed;
    ``edited``     light copy edits in a few sentences;
    ``combined``   syndicated template plus a removed paragraph;
negatives (must not be flagged):
    ``same_event`` a different story on the same event (same people, places, numbers);
    ``updated``    the same URL re-published with substantially updated text (a new
                   version, not a duplicate);
    ``template``   a different short story on the same site with the same boilerplate;
    ``unrelated``  an unrelated story.

Used by ``tests/test_dedup_quality.py`` (asserts precision and recall) and
``benchmarks/neardup_quality.py`` (prints them for several fingerprint settings).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

FIRST = [
    "Anna",
    "Maria",
    "James",
    "Olivia",
    "Lukas",
    "Sofia",
    "David",
    "Elena",
    "Pierre",
    "Yuki",
    "Omar",
    "Fatima",
    "Carlos",
    "Ingrid",
    "Thomas",
    "Priya",
    "Mateo",
    "Hannah",
    "Samuel",
    "Leila",
    "Victor",
    "Nora",
    "Daniel",
    "Greta",
    "Hugo",
    "Amara",
]
LAST = [
    "Keller",
    "Novak",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Haddad",
    "Silva",
    "Brennan",
    "Kowalski",
    "Fischer",
    "Rossi",
    "Nakamura",
    "Duarte",
    "Ahmed",
    "Larsen",
    "Petrov",
    "Chen",
    "Murphy",
    "Schneider",
    "Abara",
    "Vidal",
    "Costa",
    "Weber",
]
PLACES = [
    "Riverton",
    "Eastfield",
    "Lakeside",
    "Port",
    "Amberly",
    "Northgate",
    "Westbrook",
    "Highmoor",
    "Stonebridge",
    "Clearwater",
    "Redhill",
    "Maplewood",
    "Brookhaven",
    "Fairport",
    "Ashford",
    "Glenview",
    "Millbrook",
    "Oakdale",
    "Southport",
    "Kingsley",
    "Harwich",
    "Dunmore",
    "Elmstead",
    "Pinecrest",
]
ORGS = [
    "council",
    "ministry",
    "union",
    "board",
    "commission",
    "agency",
    "authority",
    "court",
    "company",
    "utility",
    "university",
    "hospital",
    "regulator",
    "committee",
    "foundation",
    "cooperative",
]
TOPICS = {
    "flood": [
        "flood",
        "river",
        "water",
        "levels",
        "evacuation",
        "rainfall",
        "levee",
        "damage",
        "residents",
        "shelters",
        "emergency",
        "crews",
        "sandbags",
        "forecast",
        "storm",
        "drainage",
    ],
    "budget": [
        "budget",
        "spending",
        "taxes",
        "deficit",
        "revenue",
        "cuts",
        "schools",
        "roads",
        "pensions",
        "vote",
        "proposal",
        "lawmakers",
        "funding",
        "audit",
        "debt",
    ],
    "strike": [
        "strike",
        "workers",
        "wages",
        "union",
        "talks",
        "contract",
        "picket",
        "shifts",
        "negotiators",
        "management",
        "offer",
        "walkout",
        "overtime",
        "pay",
        "benefits",
    ],
    "election": [
        "election",
        "ballots",
        "turnout",
        "candidates",
        "campaign",
        "polls",
        "voters",
        "count",
        "recount",
        "debate",
        "district",
        "seats",
        "coalition",
        "runoff",
        "mandate",
    ],
    "fire": [
        "fire",
        "blaze",
        "firefighters",
        "smoke",
        "acres",
        "containment",
        "wind",
        "evacuation",
        "homes",
        "embers",
        "crews",
        "hydrants",
        "investigators",
        "arson",
        "ash",
    ],
    "trial": [
        "trial",
        "jury",
        "verdict",
        "prosecutors",
        "defense",
        "witness",
        "testimony",
        "judge",
        "sentencing",
        "appeal",
        "evidence",
        "charges",
        "courtroom",
        "hearing",
        "plea",
    ],
    "transit": [
        "transit",
        "rail",
        "buses",
        "fares",
        "commuters",
        "line",
        "station",
        "delays",
        "tunnel",
        "service",
        "ridership",
        "timetable",
        "tracks",
        "signals",
        "depot",
    ],
    "health": [
        "hospital",
        "patients",
        "vaccine",
        "clinic",
        "outbreak",
        "doctors",
        "nurses",
        "beds",
        "infections",
        "treatment",
        "wards",
        "screening",
        "trial",
        "dosage",
        "symptoms",
    ],
    "energy": [
        "energy",
        "power",
        "grid",
        "outage",
        "turbines",
        "solar",
        "prices",
        "plant",
        "capacity",
        "emissions",
        "pipeline",
        "tariffs",
        "supply",
        "demand",
        "storage",
    ],
    "school": [
        "school",
        "students",
        "teachers",
        "classrooms",
        "exams",
        "curriculum",
        "enrolment",
        "district",
        "principal",
        "parents",
        "lessons",
        "funding",
        "buses",
        "lunches",
        "grades",
    ],
}
VERBS = [
    "said",
    "announced",
    "warned",
    "confirmed",
    "argued",
    "estimated",
    "reported",
    "insisted",
    "noted",
    "added",
    "explained",
    "acknowledged",
    "predicted",
    "denied",
    "suggested",
]
ADJ = [
    "new",
    "major",
    "local",
    "regional",
    "early",
    "late",
    "unexpected",
    "sharp",
    "modest",
    "rapid",
    "significant",
    "temporary",
    "final",
    "initial",
    "broad",
    "limited",
]
TIMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

TEMPLATES = (
    "{person} {verb} on {day} that the {adj} {t0} in {place} would affect the {t1} and the {t2}.",
    "Officials from the {org} {verb} that {n} {t3} had been recorded since {day}.",
    "The {t0} has drawn attention to the {t4}, according to {person}, who {verb} it was {adj}.",
    "In {place}, the {org} {verb} a {adj} plan covering {t1}, {t5} and {t6}.",
    "{person} of the {org} {verb} that about {n} people were involved in the {t2}.",
    "Critics {verb} the {t3} was handled poorly, pointing to the {adj} {t7} last year.",
    "The {org} expects the {t5} to cost roughly {n} million, {person} {verb}.",
    "Residents of {place} {verb} they had not been told about the {t6} until {day}.",
    "A spokesperson for the {org} {verb} the {t8} would be reviewed by an independent panel.",
    "{person} {verb} that the {t9} remained the biggest concern for {place}.",
    "By {day} evening, the number of {t4} had risen to {n}, the {org} {verb}.",
    "The {adj} figures on {t7} were published after pressure from {person}.",
    "Several groups in {place} {verb} they would challenge the {t8} in the coming weeks.",
    "Asked about the {t9}, {person} {verb} that no decision had been made.",
    "The {org} last dealt with a comparable {t0} in {year}, when {n} {t1} were affected.",
    "Neighbouring {place} {verb} it was preparing for a {adj} rise in {t2}.",
)
BOILERPLATE = (
    "Sign up for our morning newsletter to get the day's top stories in your inbox.",
    "Follow us on social media and share your views in the comments below.",
    "Our journalism depends on readers like you: subscribe today for unlimited access.",
)
FOOTERS = (
    "This story was originally published by the {agency} and is republished with permission.",
    "Copyright {year} {agency}. All rights reserved. This material may not be redistributed.",
    "Additional reporting by the {agency} newsroom. Edited for length and clarity.",
)
AGENCIES = ("Continental Press", "Metro Wire Service", "Harbor News Agency", "Global Dispatch")


@dataclass(frozen=True)
class Doc:
    """One document of the corpus.

    Attributes:
        url: Its URL (two docs share a URL only for ``updated``).
        text: The article text (paragraphs separated by blank lines).
        kind: The variant kind (see the module docstring) or ``original``.
        original: URL of the original this doc must be linked to, or ``None``.
        order: Processing order (fetch order).
    """

    url: str
    text: str
    kind: str
    original: str | None
    order: int


_SYLLABLES = [
    "ba",
    "be",
    "bi",
    "bo",
    "ca",
    "co",
    "da",
    "de",
    "di",
    "do",
    "fa",
    "fe",
    "ga",
    "go",
    "ha",
    "he",
    "ka",
    "ke",
    "la",
    "le",
    "li",
    "lo",
    "ma",
    "me",
    "mi",
    "mo",
    "na",
    "ne",
    "no",
    "pa",
    "pe",
    "po",
    "ra",
    "re",
    "ri",
    "ro",
    "sa",
    "se",
    "si",
    "so",
    "ta",
    "te",
    "ti",
    "to",
    "va",
    "ve",
    "vi",
    "wa",
    "we",
    "za",
]
_FUNCTION = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "that",
    "for",
    "on",
    "with",
    "as",
    "at",
    "by",
    "from",
    "is",
    "was",
    "were",
    "has",
    "have",
    "had",
    "it",
    "its",
    "this",
    "their",
    "which",
    "after",
    "before",
    "while",
    "also",
    "but",
    "not",
    "more",
    "than",
    "about",
    "into",
    "over",
]


def _lexicon(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class _Story:
    """Sentences with natural-text statistics: function words, Zipf-distributed general
    vocabulary and the story's own names and topic words."""

    def __init__(
        self,
        rng: random.Random,
        topic: str,
        people: list[str],
        place: str,
        org: str,
        lexicon: list[str],
        weights: list[float],
    ) -> None:
        self.rng, self.topic, self.people, self.place, self.org = rng, topic, people, place, org
        self.lexicon, self.weights = lexicon, weights
        self.own = rng.choices(lexicon, k=25)  # words this story keeps coming back to

    def sentence(self) -> str:
        rng = self.rng
        if rng.random() < 0.25:
            return rng.choice(TEMPLATES).format(
                person=rng.choice(self.people),
                verb=rng.choice(VERBS),
                day=rng.choice(TIMES),
                adj=rng.choice(ADJ),
                place=self.place,
                org=self.org,
                n=rng.randint(2, 900),
                year=rng.randint(1990, 2023),
                **{f"t{i}": rng.choice(TOPICS[self.topic]) for i in range(10)},
            )
        words = []
        for _ in range(rng.randint(12, 26)):
            r = rng.random()
            if r < 0.42:
                words.append(rng.choice(_FUNCTION))
            elif r < 0.80:
                words.append(rng.choices(self.lexicon, cum_weights=self.weights)[0])
            elif r < 0.90:
                words.append(rng.choice(self.own))
            elif r < 0.96:
                words.append(rng.choice(TOPICS[self.topic]))
            else:
                words.append(rng.choice([*self.people, self.place, self.org]))
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 4)))

    def body(self, paragraphs: int) -> list[str]:
        return [self.paragraph() for _ in range(paragraphs)]


def _edit(rng: random.Random, paragraphs: list[str], sentences: int) -> list[str]:
    out = list(paragraphs)
    for _ in range(sentences):
        i = rng.randrange(len(out))
        words = out[i].split()
        j = rng.randrange(len(words))
        words[j] = rng.choice(ADJ + VERBS)
        out[i] = " ".join(words)
    return out


def build_corpus(stories: int = 60, seed: int = 20240501) -> list[Doc]:
    """Build the labelled corpus.

    Args:
        stories: Number of original stories (each gets several variants).
        seed: RNG seed; the corpus is a pure function of both arguments.

    Returns:
        Documents in processing order (originals before their variants).
    """
    rng = random.Random(seed)
    lexicon = _lexicon(rng, 6000)
    weights = list(itertools.accumulate(1.0 / (rank + 10) for rank in range(len(lexicon))))
    # cumulative Zipf-like frequencies
    originals: list[tuple[str, list[str], _Story]] = []
    docs: list[tuple[str, str, str, str | None]] = []
    for s in range(stories):
        topic = rng.choice(sorted(TOPICS))
        people = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(3)]
        story = _Story(rng, topic, people, rng.choice(PLACES), rng.choice(ORGS), lexicon, weights)
        paras = story.body(rng.randint(6, 12))
        url = f"https://site{s % 7}.example/news/{topic}-{s}"
        originals.append((url, paras, story))
        docs.append((url, "\n\n".join(paras), "original", None))
    variants: list[tuple[str, str, str, str | None]] = []
    for s, (url, paras, story) in enumerate(originals):
        agency = rng.choice(AGENCIES)
        other = f"https://mirror{s % 5}.example/story/{s}"
        kind = ("exact", "syndicated", "headline", "added", "removed", "edited", "combined")[s % 7]
        if kind == "exact":
            text = "\n\n".join(paras)
        elif kind in ("syndicated", "combined"):
            body = list(paras)
            if kind == "combined":
                del body[rng.randrange(1, len(body))]
            body[0] = f"{story.place.upper()} ({agency}) \u2014 " + body[0]
            body.append(rng.choice(FOOTERS).format(agency=agency, year=2025))
            text = "\n\n".join(body).replace("'", "\u2019")
        elif kind == "headline":
            text = "\n\n".join([story.sentence() + " " + paras[0].split(". ", 1)[-1], *paras[1:]])
        elif kind == "added":
            body = list(paras)
            body.insert(rng.randrange(1, len(body) + 1), story.paragraph())
            text = "\n\n".join(body)
        elif kind == "removed":
            body = list(paras)
            del body[rng.randrange(1, len(body))]
            text = "\n\n".join(body)
        else:
            text = "\n\n".join(_edit(rng, paras, 4))
        variants.append((other, text, kind, url))
        # negatives
        same_event = _Story(
            rng, story.topic, story.people, story.place, story.org, lexicon, weights
        ).body(len(paras))
        variants.append(
            (f"https://rival{s % 4}.example/{s}", "\n\n".join(same_event), "same_event", None)
        )
        if s % 3 == 0:
            keep = paras[: max(2, len(paras) // 3)]
            updated = keep + story.body(max(4, len(paras) - len(keep) + 2))
            variants.append((url, "\n\n".join(updated), "updated", None))
        if s % 2 == 0:
            short = story.body(2)
            site = f"https://site{s % 7}.example/brief/{s}"
            variants.append((site, "\n\n".join([*short, *BOILERPLATE]), "template", None))
    for _ in range(stories // 2):
        topic = rng.choice(sorted(TOPICS))
        story = _Story(
            rng,
            topic,
            [f"{rng.choice(FIRST)} {rng.choice(LAST)}"],
            rng.choice(PLACES),
            rng.choice(ORGS),
            lexicon,
            weights,
        )
        variants.append(
            (
                f"https://other.example/{len(variants)}",
                "\n\n".join(story.body(rng.randint(4, 9))),
                "unrelated",
                None,
            )
        )
    # the short same-template briefs of one site go first, so later ones meet earlier ones
    ordered = docs + variants
    return [Doc(u, t, k, o, i) for i, (u, t, k, o) in enumerate(ordered)]


def records_for(docs: list[Doc], options: object | None = None) -> list[object]:
    """Article records of the corpus documents, fetched one second apart in corpus order."""
    import datetime as dt

    from pipeline.archive.schema import ArticleRecord, RawPointer, article_id_for
    from pipeline.fingerprint import DEFAULT_FINGERPRINT, content_hash, simhash

    base = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
    opts = options or DEFAULT_FINGERPRINT
    return [
        ArticleRecord(
            article_id=article_id_for(d.url),
            url=d.url,
            canonical_url=d.url,
            site=d.url.split("/")[2],
            title=None,
            text=d.text,
            fetched_at=base + dt.timedelta(seconds=d.order),
            http_status=200,
            content_hash=content_hash(d.text),
            simhash=simhash(d.text, opts),  # type: ignore[arg-type]
            raw=RawPointer("k", 0, 1, "r"),
            extractor="test",
            extractor_version="0",
        )
        for d in docs
    ]


def evaluate(docs: list[Doc], max_distance: int, options: object | None = None) -> dict[str, float]:
    """Run the dedup decision over the corpus and score it.

    A positive is a variant that must be linked to its original; it is a true positive when
    its row says ``duplicate_of`` = the original's article id (exact or near). Every other
    flagged row is a false positive. ``updated`` docs must become version 2 and not be flagged.

    Returns:
        precision, recall, flagged, positives, versions_ok (share of ``updated`` docs that got
        version 2), and recall per kind.
    """
    from pipeline.archive.schema import article_id_for
    from pipeline.dedup.decision import decide
    from pipeline.dedup.index import FingerprintIndex

    records = records_for(docs, options)
    outcome = decide(records, FingerprintIndex([], max_distance))  # type: ignore[arg-type]
    by_order = {r.fetched_at: r for r in outcome.records}
    recs = {
        d.order: by_order.get(rec.fetched_at)
        for d, rec in zip(docs, records, strict=True)  # type: ignore[attr-defined]
    }
    tp = fp = positives = 0
    per_kind: dict[str, list[int]] = {}
    versions = [0, 0]
    for d in docs:
        row = recs[d.order]
        flagged = row is not None and row.duplicate_of is not None
        if d.original:
            positives += 1
            ok = flagged and row is not None and row.duplicate_of == article_id_for(d.original)
            tp += ok
            fp += flagged and not ok
            per_kind.setdefault(d.kind, []).append(int(ok))
        else:
            fp += flagged
        if d.kind == "updated":
            versions[0] += 1
            versions[1] += row is not None and row.version == 2 and not flagged
    flagged_total = tp + fp
    result = {
        "precision": tp / flagged_total if flagged_total else 1.0,
        "recall": tp / positives if positives else 1.0,
        "flagged": float(flagged_total),
        "positives": float(positives),
        "versions_ok": versions[1] / versions[0] if versions[0] else 1.0,
    }
    for kind, hits in sorted(per_kind.items()):
        result[f"recall_{kind}"] = sum(hits) / len(hits)
    return result
