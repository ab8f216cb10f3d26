"""Project-wide rules: library boundaries, documented settings."""

from __future__ import annotations

import ast
from pathlib import Path

from pipeline.cli.config import markdown_table

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"airflow", "scrapy", "twisted"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_pipeline_imports_neither_airflow_nor_scrapy() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN)
        for path in (ROOT / "pipeline").rglob("*.py")
        if imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}


def test_configuration_docs_are_current() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    assert doc == markdown_table(), "run: newsarchive config --markdown > docs/configuration.md"


def code_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_modules_stay_small() -> None:
    # docs/architecture.md: modules are nouns for one concern; past 350 lines, split by concern
    long = {str(p.relative_to(ROOT)): n for p in code_files("pipeline", "spiders", "dags")
            if (n := len(p.read_text().splitlines())) > 350}
    assert long == {}


def test_pipeline_top_level_is_stages_and_a_small_foundation() -> None:
    top = sorted(p.name for p in (ROOT / "pipeline").glob("*.py"))
    stages = sorted(p.parent.name for p in (ROOT / "pipeline").glob("*/__init__.py"))
    assert len(top) <= 6, top
    assert {"config", "archive", "crawl", "extract", "dedup", "run"} <= set(stages)


def test_benchmarks_do_not_import_tests() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in code_files("benchmarks")
                 if "tests" in imported_roots(p)]
    assert offenders == []


# a test Celery worker puts its own temp dir (holding the hostname_callable module the test
# writes there) on PYTHONPATH: that finds a generated module, not the project
GENERATED_MODULE_PATHS = {"benchmarks/support/celery_cluster.py"}


def test_no_import_path_patches() -> None:
    # the project is installed (setup.cfg): nothing patches sys.path or PYTHONPATH to find it
    offenders = [str(p.relative_to(ROOT)) for p in code_files("pipeline", "spiders", "dags",
                                                               "benchmarks")
                 if str(p.relative_to(ROOT)) not in GENERATED_MODULE_PATHS
                 and ("sys.path.insert" in p.read_text() or '"PYTHONPATH"' in p.read_text())]
    assert offenders == []
