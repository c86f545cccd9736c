"""Export writes the import format back: import → export → parse gives the source mapping."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from articles.importing.frontmatter import split_front_matter
from articles.importing.parse import parse_document
from articles.importing.records import Skipped
from articles.models import Article

from .conftest import CORPUS, SEEDS, run_import

pytestmark = pytest.mark.django_db

SOURCES = sorted(SEEDS.iterdir()) + sorted(CORPUS.glob("*.md"))
MAX = 1 << 20


def parsed(path: Path):
    return parse_document(path.read_bytes(), max_bytes=MAX)


@pytest.fixture
def exported(tmp_path) -> dict[str, Path]:
    """Import seeds and corpus, export them; the exported file of each article, by key."""
    run_import(SEEDS, CORPUS)
    call_command("export_articles", out=str(tmp_path / "out"), stdout=StringIO())
    files = {}
    for path in (tmp_path / "out").iterdir():
        files[parsed(path).record.key] = path
    assert len(files) == Article.objects.count() == 144
    return files


def test_export_parses_back_to_the_source_mapping(exported):
    """Every seed and every article of the corpus sample, compared field by field."""
    mismatches, articles = [], 0
    for source in SOURCES:
        original = parsed(source)
        if isinstance(original, Skipped):
            continue
        articles += 1
        again = parsed(exported[original.record.key])
        if (again.record, again.record_hash) != (original.record, original.record_hash):
            mismatches.append(f"{source.name}: normalised mapping differs")
        front, _ = split_front_matter(source.read_text(encoding="utf-8"))
        exported_front, _ = split_front_matter(exported[original.record.key].read_text())
        # Beyond the normalised form: plain YAML reads both files the same (but where the
        # import repaired mojibake, which export rightly does not put back).
        if front is not None and not original.repairs:
            same_yaml = yaml.safe_load(exported_front) == yaml.safe_load(front)
            mismatches += [] if same_yaml else [f"{source.name}: YAML differs"]
    assert articles == 144
    assert mismatches == []


def test_other_document_types_are_not_exported(exported):
    others = [p.name for p in SOURCES if isinstance(parsed(p), Skipped)]
    assert len(others) == 9
    assert Article.objects.count() == 144


def test_import_export_import_changes_nothing(exported):
    folder = next(iter(exported.values())).parent
    run = run_import(folder)
    assert "0 created, 0 updated, 144 unchanged, 0 skipped, 0 failed" in run.stdout


def test_export_writes_the_source_and_reimporting_it_keeps_editors_decisions(tmp_path):
    run_import(SEEDS)
    article = Article.objects.get(slug="the-human-labor-behind-artificial-intelligence")
    article.is_published, article.quality = True, 321
    article.editor_fields = ["is_published", "quality"]
    article.save()

    call_command("export_articles", out=str(tmp_path), stdout=StringIO())

    text = next(tmp_path.glob("*the-human-labor-behind-artificial-intelligence.md")).read_text()
    mapping = yaml.safe_load(split_front_matter(text)[0])
    assert (mapping["published"], mapping["quality"]) == (False, 59)  # as the feed said
    for _ in range(2):  # the export and the seeds agree: nothing to update, either way
        assert "0 updated" in run_import(tmp_path).stdout
        assert "0 updated" in run_import(SEEDS, force=True).stdout
    article.refresh_from_db()
    assert (article.is_published, article.quality) == (True, 321)


def test_exported_text_that_yaml_would_type_stays_quoted(write_doc, tmp_path):
    run_import(write_doc("a.md", "---\ntitle: yes\nexcerpt: '2021'\n---\n"))
    call_command("export_articles", out=str(tmp_path / "out"), stdout=StringIO())
    text = next((tmp_path / "out").iterdir()).read_text()
    assert yaml.safe_load(split_front_matter(text)[0]) == {"title": "yes", "excerpt": "2021"}
