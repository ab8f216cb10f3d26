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
