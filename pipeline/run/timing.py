"""Stage durations: when each step of a site-day started and how long it took.

Each task function of :mod:`pipeline.run.tasks` is wrapped with :func:`timed`: its result gains a
``timings`` field, ``{stage: {"started_at": ISO instant, "seconds": float}}``, carried over from
the step before (the crawl result into the extraction result into the publish summary), so that
the report step, which sees only the publish summaries, knows every stage of every site-day.
The timings travel with the XCom values; nothing is stored but the run report.

Stages: ``crawl`` and ``extract`` (per site-day), ``dedup`` and ``publish`` (the run's one
dedup-and-commit step, timed once for the whole run and copied into every summary it returns).
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

TIMINGS = "timings"
"""The field of a step result that carries the stage timings."""

DEDUP_FIELD = "dedup_s"
"""Seconds :func:`pipeline.run.publish.publish_day` spent deciding duplicates for the day."""

F = TypeVar("F", bound=Callable[..., Any])


def _key(item: Mapping[str, Any]) -> tuple[str, str]:
    return (str(item.get("site")), str(item.get("date")))


def _stage(started: dt.datetime, seconds: float) -> dict[str, Any]:
    return {"started_at": started.isoformat(), "seconds": round(seconds, 3)}


def timed(stage: str) -> Callable[[F], F]:
    """Wrap a per-site-day step: its result carries the input's timings plus ``stage``'s.

    The wrapped function takes the item (or the previous step's result) as its first argument
    and returns one mapping.
    """
    def wrap(func: F) -> F:
        @functools.wraps(func)
        def step(item: Mapping[str, Any], *args: Any, **kwargs: Any) -> Any:
            started, clock = dt.datetime.now(dt.UTC), time.monotonic()
            result = func(item, *args, **kwargs)
            if isinstance(result, dict):
                timings = dict(item.get(TIMINGS) or {})
                timings[stage] = _stage(started, time.monotonic() - clock)
                result[TIMINGS] = timings
            return result
        return step  # type: ignore[return-value]
    return wrap


def timed_batch(stage: str) -> Callable[[F], F]:
    """Wrap the run-wide step (a list of results in, a list of summaries out).

    Each summary gets the timings of its site-day's input (matched by site and date) plus the
    whole step's: ``dedup`` (the duplicate decisions, summed over the days, from each summary's
    ``dedup_s``, which is removed) and ``stage`` (the rest: reading the staged records back and
    committing).
    """
    def wrap(func: F) -> F:
        @functools.wraps(func)
        def step(items: Sequence[Mapping[str, Any] | None], *args: Any, **kwargs: Any) -> Any:
            started, clock = dt.datetime.now(dt.UTC), time.monotonic()
            results = func(items, *args, **kwargs)
            seconds = time.monotonic() - clock
            # publish_day times its dedup decision per day (``dedup_s``, the same for each site)
            per_day = {str(r.get("date")): float(r.pop(DEDUP_FIELD))
                       for r in results if isinstance(r, dict) and DEDUP_FIELD in r}
            decided = min(sum(per_day.values()), seconds)
            spent = {stage: _stage(started, seconds - decided)}
            if per_day:
                spent = {"dedup": _stage(started, decided), **spent}
            before = {_key(i): i.get(TIMINGS) or {} for i in items if i}
            for result in results:
                if isinstance(result, dict):
                    result[TIMINGS] = {**before.get(_key(result), {}), **spent}
            return results
        return step  # type: ignore[return-value]
    return wrap

