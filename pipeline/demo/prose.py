"""Plausible English news prose, generated deterministically from a seed.

Word lists and sentence templates per section; every story draws its own cast (people,
organisations, places, numbers), so different stories are clearly different texts while the
same seed always gives the same words.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SECTIONS = ("politics", "business", "science", "sport", "world", "culture")

_FIRST = ("Amelia", "Rajeev", "Sofia", "Daniel", "Mei", "Oluwaseun", "Lucas", "Hannah",
          "Mateo", "Ingrid", "Tomasz", "Aisha", "Pierre", "Yuki", "Carlos", "Fatima", "Liam",
          "Elena", "Kwame", "Nadia", "Viktor", "Grace", "Omar", "Chloe", "Henrik", "Priya")
_LAST = ("Verma", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Rossi", "Kowalski", "Haddad",
         "Fischer", "Nakamura", "Alvarez", "Mensah", "Novak", "Bennett", "Costa", "Petrov",
         "Sato", "Jansen", "Murphy", "Ibrahim", "Dubois", "Keller", "Singh", "Walsh")
_PLACES = ("Lisbon", "Nairobi", "Osaka", "Winnipeg", "Valparaiso", "Tallinn", "Cardiff",
           "Accra", "Brisbane", "Krakow", "Porto Alegre", "Hanoi", "Seville", "Tromso",
           "Marseille", "Lagos", "Adelaide", "Bergen", "Cork", "Leipzig", "Mombasa", "Quito")
_TOPICS = {
    "politics": (("budget reform", "coalition talks", "electoral law", "pension bill",
                  "housing strategy", "regional elections", "tax package", "border agreement"),
                 ("Ministry of Finance", "the opposition alliance", "the regional council",
                  "the Green Party", "the electoral commission", "the senate committee"),
                 ("minister", "party leader", "spokesperson", "senator", "mayor", "adviser")),
    "business": (("quarterly earnings", "merger plan", "factory expansion", "interest rates",
                  "supply chain", "retail sales", "battery plant", "shipping costs"),
                 ("Northwind Logistics", "Atlas Steel", "the central bank", "Helios Energy",
                  "Meridian Foods", "Crescent Telecom", "Bluefin Capital"),
                 ("chief executive", "analyst", "economist", "chair", "union leader")),
    "science": (("gene therapy trial", "deep-sea survey", "climate model", "fusion experiment",
                 "vaccine study", "asteroid mission", "coral restoration", "drought research"),
                ("the national observatory", "the university hospital", "the space agency",
                 "the marine institute", "the academy of sciences"),
                ("researcher", "professor", "lead author", "project director", "biologist")),
    "sport": (("cup final", "transfer window", "doping inquiry", "stadium plan",
               "title race", "marathon record", "injury crisis", "coaching change"),
              ("City Rovers", "the national federation", "Harbour United", "the Olympic committee",
               "Valley Athletic", "the rugby union"),
              ("coach", "captain", "striker", "club president", "referee")),
    "world": (("ceasefire talks", "flood relief", "trade summit", "refugee programme",
               "election dispute", "water agreement", "peace mission", "wildfire response"),
              ("the United Nations", "the foreign ministry", "the Red Cross", "the African Union",
               "the coast guard", "the European Commission"),
              ("envoy", "ambassador", "aid coordinator", "foreign minister", "governor")),
    "culture": (("film festival", "museum reopening", "book prize", "opera season",
                 "street art project", "music award", "heritage listing", "theatre tour"),
                ("the national gallery", "the arts council", "the philharmonic",
                 "the city library", "the film academy"),
                ("curator", "director", "novelist", "composer", "critic")),
}
_VERBS = ("backs", "rejects", "delays", "unveils", "questions", "approves", "expands", "reviews",
          "scraps", "defends")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_OPENERS = (
    "{org} on {weekday} {verb_past} the {topic}, a decision that {person} said would affect "
    "about {number} people in {place}.",
    "The {topic} moved a step closer on {weekday} after {org} {verb_past} a revised plan "
    "presented in {place}.",
    "Officials in {place} were left weighing their options on {weekday} when {org} "
    "{verb_past} the {topic} after weeks of negotiation.",
)
_SENTENCES = (
    "{person}, the {role} of {org}, said the figures showed a rise of {percent} percent "
    "compared with last year.",
    "\u201cWe have to be honest about what this means for {place},\u201d {person} told "
    "reporters, adding that {number} jobs could be at stake.",
    "Critics argued that the {topic} had been rushed, pointing to a report published in {month}.",
    "According to documents seen by this newspaper, the cost could reach {money} million.",
    "The {role} declined to comment on the timetable but confirmed that talks would resume "
    "in {place} next week.",
    "Local groups in {place} have organised meetings to discuss the {topic} and its impact on "
    "small businesses.",
    "{org} said it had received more than {number} submissions during the consultation.",
    "Analysts expect the issue to dominate the agenda when {org} meets again in {month}.",
    "A spokesperson for {org} said the decision was \u201cfinal and carefully considered\u201d.",
    "Similar measures were tried in {place2} in {year}, with mixed results.",
    "{person2}, who has followed the {topic} for a decade, called the move \u201ca turning "
    "point\u201d.",
    "The announcement follows a turbulent {month} in which {org} faced repeated questions "
    "over funding.",
    "Figures released on {weekday} suggested that {percent} percent of respondents in {place} "
    "supported the plan.",
    "Residents interviewed in {place2} were divided, with some welcoming the change and others "
    "fearing higher costs.",
    "The next stage is expected to begin within {small} weeks, subject to a final vote.",
)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_PAST = {"backs": "backed", "rejects": "rejected", "delays": "delayed", "unveils": "unveiled",
         "questions": "questioned", "approves": "approved", "expands": "expanded",
         "reviews": "reviewed", "scraps": "scrapped", "defends": "defended"}


@dataclass(frozen=True)
class Story:
    """One generated story: headline, standfirst, author and body paragraphs."""

    title: str
    summary: str
    author: str
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...]


def person(rng: random.Random) -> str:
    """A random full name."""
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _cast(rng: random.Random, section: str) -> tuple[dict[str, str], str]:
    topics, orgs, roles = _TOPICS[section]
    slots = {
        "topic": rng.choice(topics), "org": rng.choice(orgs), "role": rng.choice(roles),
        "person": person(rng), "person2": person(rng), "place": rng.choice(_PLACES),
        "place2": rng.choice(_PLACES), "weekday": rng.choice(_WEEKDAYS),
        "month": rng.choice(_MONTHS), "year": str(rng.randint(2009, 2022)),
    }
    verb = rng.choice(_VERBS)
    slots["verb_past"] = _PAST[verb]
    org_title = slots["org"].removeprefix("the ")
    ending = rng.choice(("waits", "reacts", "braces for change", "divides"))
    title = f"{org_title[0].upper()}{org_title[1:]} {verb} {slots['topic']} " \
            f"as {slots['place']} {ending}"
    return slots, title


def make_title(seed: str, section: str) -> str:
    """The headline of the story ``seed`` (cheap: no body is generated)."""
    return _cast(random.Random(seed), section)[1]


def make_story(seed: str, section: str) -> Story:
    """Generate the story identified by ``seed`` in ``section``.

    Args:
        seed: Any string; the same seed gives the same story.
        section: One of :data:`SECTIONS`.

    Returns:
        The story (5-9 paragraphs of 2-4 sentences).
    """
    rng = random.Random(seed)
    slots, title = _cast(rng, section)

    def fill(template: str) -> str:
        values = dict(slots, number=f"{rng.randint(2, 900) * 10:,}",
                      percent=str(rng.randint(3, 68)), money=str(rng.randint(12, 950)),
                      small=str(rng.randint(2, 9)))
        text = template.format(**values)
        return text[0].upper() + text[1:]

    paragraphs = [fill(rng.choice(_OPENERS))]
    pool = list(_SENTENCES)
    rng.shuffle(pool)
    for _ in range(rng.randint(4, 8)):
        count = rng.randint(2, 4)
        paragraphs.append(" ".join(fill(rng.choice(pool)) for _ in range(count)))
    summary = paragraphs[0]
    return Story(title, summary, person(rng), tuple(paragraphs),
                 (section, slots["topic"], slots["place"]))


def copy_title(title: str, seed: str) -> str:
    """The headline a syndicated copy ``seed`` gives the original ``title``."""
    return random.Random(seed).choice(("", "Update: ", "Analysis: ", "")) + title


def edit_lightly(story: Story, seed: str) -> Story:
    """A syndicated copy: another headline wording, one paragraph dropped, one sentence added."""
    rng = random.Random(seed)
    title = rng.choice(("", "Update: ", "Analysis: ", "")) + story.title
    paragraphs = list(story.paragraphs)
    if len(paragraphs) > 4:
        del paragraphs[rng.randrange(2, len(paragraphs))]
    credit = rng.choice(("wire services", "agency correspondents", "our partners"))
    paragraphs.append(f"This report includes material from {credit}.")
    return Story(title, story.summary, story.author, tuple(paragraphs), story.tags)


def slugify(text: str) -> str:
    """Lowercase words joined by dashes (at most eight words)."""
    words = "".join(c if c.isalnum() else " " for c in text.lower()).split()
    return "-".join(words[:8])
