"""`make bench` deletes nothing while it measures: folders it is done with are moved aside and
deleted at the end (deleting many files just before a command slows its file creation here)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.run_all import delete_discarded, discard, fresh


def test_folders_are_moved_aside_while_measuring_and_deleted_after(tmp_path: Path):
    scale = tmp_path / "1M"
    for folder in (scale / "home-history", scale / "inbox", tmp_path / "prefect-home-1"):
        (folder / "member").mkdir(parents=True)
        (folder / "member" / "file.csv").write_text("kept until the end\n")

    assert fresh(scale / "home-history") == scale / "home-history"
    discard(scale / "inbox")
    discard(tmp_path / "prefect-home-1")
    discard(scale / "never-made")  # nothing to move: no error

    assert not (scale / "home-history").exists() and not (scale / "inbox").exists()
    aside = sorted(p.name.rsplit("-", 1)[0] for p in [*scale.iterdir(), *tmp_path.iterdir()]
                   if p.name.startswith(".discarded-"))
    assert aside == [".discarded-home-history", ".discarded-inbox", ".discarded-prefect-home-1"]
    assert all((p / "member" / "file.csv").read_text() == "kept until the end\n"
               for p in [*scale.glob(".discarded-*"), *tmp_path.glob(".discarded-*")])

    (scale / "inbox").mkdir()  # what the run goes on with stays
    delete_discarded(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1M"]
    assert sorted(p.name for p in scale.iterdir()) == ["inbox"]
