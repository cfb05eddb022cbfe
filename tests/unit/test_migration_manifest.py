"""Released migrations are immutable: every file in migrations/versions/ has its SHA-256 in
migrations/MANIFEST.sha256 (`sha256sum -c MANIFEST.sha256` in migrations/ checks the same)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
IMMUTABLE = (
    "released migrations are immutable: add a new migration instead (a database stamped with a revision never "
    "runs it again, so an edit reaches no existing database)"
)


def manifest(root: Path) -> dict[str, str]:
    """path (relative to the migrations folder) -> SHA-256, from the manifest's `sha256sum` lines."""
    entries = {}
    for line in (root / "MANIFEST.sha256").read_text().splitlines():
        digest, path = line.split(maxsplit=1)
        entries[path.lstrip("*")] = digest
    return entries


def digests(root: Path) -> dict[str, str]:
    """path -> SHA-256 of every file in versions/ (compiled caches aside)."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((root / "versions").rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def manifest_problems(root: Path) -> list[str]:
    recorded, found = manifest(root), digests(root)
    problems = [f"{p} changed: {IMMUTABLE}" for p in sorted(recorded.keys() & found.keys()) if recorded[p] != found[p]]
    problems += [f"{p} removed: {IMMUTABLE}" for p in sorted(recorded.keys() - found.keys())]
    problems += [
        f"{p} is not in MANIFEST.sha256: once the migration is final, add its line "
        f"(cd migrations && sha256sum {p} >> MANIFEST.sha256); from then on it never changes"
        for p in sorted(found.keys() - recorded.keys())
    ]
    return problems


def test_released_migrations_are_unchanged_and_all_listed() -> None:
    problems = manifest_problems(MIGRATIONS)
    assert not problems, "\n".join(problems)


def test_the_manifest_has_every_revision_through_0007() -> None:
    listed = sorted(Path(p).name[:4] for p in manifest(MIGRATIONS))
    assert listed == [f"{n:04d}" for n in range(1, len(listed) + 1)]
    assert "0007" in listed


def test_an_edit_a_removal_and_a_new_file_are_each_reported(tmp_path: Path) -> None:
    root = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, root, ignore=shutil.ignore_patterns("__pycache__"))
    edited = root / "versions" / "0005_spend_against_commitments.py"
    edited.write_text(edited.read_text() + "\n# a table added after release\n")
    (root / "versions" / "0004_flows.py").unlink()
    (root / "versions" / "0099_draft.py").write_text('"""A migration under way."""\n')
    problems = manifest_problems(root)
    assert len(problems) == 3
    assert problems[0].startswith("versions/0005_spend_against_commitments.py changed: released migrations are")
    assert problems[1].startswith("versions/0004_flows.py removed: released migrations are immutable")
    assert problems[2].startswith("versions/0099_draft.py is not in MANIFEST.sha256")
