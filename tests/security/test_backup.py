"""`flask backup create/verify/restore`: a round trip loses nothing, a bad archive changes nothing.

The database is the demo (黑河市: ~370 units, ~250 plans, ~620 drills, ~630 stored documents and
thousands of audit rows) on a fresh SQLite file, or a fresh PostgreSQL database when
TEST_DATABASE_URL is set (pg_dump / pg_restore / psql from PATH).
"""

import gzip
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from emergency.backup.archive import MANIFEST
from emergency.extensions import db
from emergency.regions.models import Region, RegionLevel
from emergency.units.models import Unit
from tests.security.conftest import file_hashes, row_counts


def upload_root(app) -> Path:
    return Path(app.config["UPLOAD_ROOT"])


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["backup", *args])


def make_backup(app, out: Path) -> Path:
    result = cli(app, "create", "--out", str(out))
    assert result.exit_code == 0, result.output
    [archive] = out.glob("emergency-backup-*.tar.gz")
    assert f"Backup written to {archive}" in result.output
    return archive


def change_everything(app) -> None:
    """Edit, delete and add rows and files after the backup."""
    unit = db.session.scalar(select(Unit).order_by(Unit.id))
    unit.name = "备份之后改的名字"
    province = db.session.scalar(select(Region).where(Region.level == RegionLevel.PROVINCE))
    db.session.add(Region(code="2312", name="备份后新增的市", level=RegionLevel.CITY,
                          parent=province, path="/23/2312/"))
    db.session.commit()
    from emergency.drills.models import ActionEvent, DrillChange

    db.session.execute(delete(ActionEvent))
    db.session.execute(delete(DrillChange))
    db.session.commit()
    db.session.remove()
    files = sorted(p for p in upload_root(app).rglob("*") if p.is_file())
    files[0].write_bytes(b"%PDF-1.4 overwritten after the backup")
    files[1].unlink()
    (upload_root(app) / "2026" / "stray-after-backup").parent.mkdir(parents=True, exist_ok=True)
    (upload_root(app) / "2026" / "stray-after-backup").write_bytes(b"new")


def test_backup_and_restore_round_trip_lose_nothing(populated_app, tmp_path):
    app = populated_app
    counts, hashes = row_counts(), file_hashes(upload_root(app))
    assert counts["units"] > 300 and counts["documents"] > 500 and counts["audit_entries"] > 1000
    assert counts["obligations"] > 100 and counts["email_outbox"] > 0
    assert len(hashes) == counts["documents"] > 500
    first_unit = db.session.scalar(select(Unit.name).order_by(Unit.id))

    archive = make_backup(app, tmp_path / "backups")
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile(MANIFEST))
    assert manifest["tables"] == counts
    assert {name: facts["sha256"] for name, facts in manifest["files"].items()} == hashes

    change_everything(app)
    assert row_counts() != counts and file_hashes(upload_root(app)) != hashes

    verified = cli(app, "verify", str(archive))
    assert verified.exit_code == 0, verified.output
    result = cli(app, "restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert f"Restored {sum(counts.values())} rows in {len(counts)} tables" in result.output

    assert row_counts() == counts
    assert file_hashes(upload_root(app)) == hashes
    assert db.session.scalar(select(Unit.name).order_by(Unit.id)) == first_unit
    # The restored database is a working one: the app reads and writes it.
    db.session.execute(update(Unit).where(Unit.name == first_unit).values(phone="0456-0000000"))
    db.session.commit()
    assert not list(upload_root(app).parent.glob(".restore-*"))


# --- refused archives ---------------------------------------------------------------------------


def repack(source: Path, target: Path, *, change=None, drop=None, add=None, manifest=None):
    """Copy an archive member by member, altering what the test asks for."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read() if member.isfile() else None
            if drop and drop(member.name):
                continue
            if member.name == MANIFEST and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            elif change and change(member.name) and data is not None:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            if data is not None:
                member.size = len(data)
            new.addfile(member, io.BytesIO(data) if data is not None else None)
        for name, data in (add or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return target


def first_upload(name: str) -> bool:
    return name.startswith("uploads/") and name.endswith(FIRST[0])


FIRST = [""]


def corrupt_bytes(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)
    target.write_bytes(bytes(data))
    return target


def other_dialect(manifest: dict) -> dict:
    other = "postgresql" if manifest["dialect"] == "sqlite" else "sqlite"
    member = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[other]
    return {**manifest, "dialect": other, "database": {**manifest["database"], "member": member}}


def one_unit_more(manifest: dict) -> dict:
    return {**manifest, "tables": {**manifest["tables"], "units": manifest["tables"]["units"] + 1}}


BAD_ARCHIVES = {
    "flipped bytes in the compressed stream": (
        lambda src, dst: corrupt_bytes(src, dst), "damaged"),
    "truncated": (lambda src, dst: (dst.write_bytes(src.read_bytes()[:len(src.read_bytes()) // 2]),
                                    dst)[1], "damaged"),
    "not an archive at all": (lambda src, dst: (dst.write_bytes(b"%PDF-1.4 hello"), dst)[1],
                              "damaged"),
    "an uploaded file altered": (lambda src, dst: repack(src, dst, change=first_upload),
                                 "does not match the SHA-256"),
    "the database altered": (lambda src, dst: repack(src, dst, change=lambda n: n.startswith(
        "database.")), "does not match the SHA-256"),
    "an uploaded file missing": (lambda src, dst: repack(src, dst, drop=first_upload),
                                 "incomplete"),
    "an extra file": (lambda src, dst: repack(src, dst, add={"uploads/2026/03/extra": b"x"}),
                      "does not list"),
    "a path out of the folder": (lambda src, dst: repack(src, dst, add={"../../evil": b"x"}),
                                 "does not list"),
    "no manifest": (lambda src, dst: repack(src, dst, drop=lambda n: n == MANIFEST),
                    "no manifest"),
    "a manifest of another database kind": (lambda src, dst: repack(src, dst,
                                                                    manifest=other_dialect),
                                            "cannot be restored here"),
    "a manifest from a newer schema": (lambda src, dst: repack(
        src, dst, manifest=lambda m: {**m, "revision": "from_the_future"}), "newer version"),
    "row counts that do not match": (lambda src, dst: repack(src, dst, manifest=one_unit_more),
                                     "units"),
    "a manifest naming an unsafe file": (lambda src, dst: repack(src, dst, manifest=lambda m: {
        **m, "files": {**m["files"], "../outside": {"sha256": "0", "size": 1}}}), "unsafe"),
}


@pytest.fixture
def small_world(fresh_app):
    """A few rows and two uploaded files: enough to see that a refused restore changes nothing."""
    province = Region(code="23", name="黑龙江省", level=RegionLevel.PROVINCE, path="/23/")
    db.session.add_all([province, Unit(name="花园小学", kind="school", region=province,
                                       identifier="2123000001")])
    db.session.commit()
    root = upload_root(fresh_app) / "2026" / "03"
    root.mkdir(parents=True)
    (root / ("a" * 32)).write_bytes(b"%PDF-1.4 first")
    (root / ("b" * 32)).write_bytes(b"%PDF-1.4 second")
    FIRST[0] = "a" * 32
    return fresh_app


def test_bad_archives_are_refused_and_change_nothing(small_world, tmp_path):
    """Every kind of damage in BAD_ARCHIVES, against one database (a refusal changes nothing)."""
    app = small_world
    archive = make_backup(app, tmp_path / "backups")
    # Change the live data after the backup: a refused restore must leave these changes alone.
    db.session.execute(update(Unit).values(name="恢复被拒后应保留"))
    db.session.commit()
    (upload_root(app) / "2026" / "03" / ("c" * 32)).write_bytes(b"kept")
    counts, hashes = row_counts(), file_hashes(upload_root(app))

    problems = []
    for n, (kind, (build, message)) in enumerate(BAD_ARCHIVES.items()):
        bad = build(archive, tmp_path / f"bad{n}.tar.gz")
        for command in (["verify", str(bad)], ["restore", str(bad), "--yes"]):
            result = cli(app, *command)
            if result.exit_code != 1 or "Refused:" not in result.output \
                    or message not in result.output or "Traceback" in result.output:
                problems.append(f"{kind}, {command[0]}: {result.exit_code} {result.output!r}")
        if row_counts() != counts or file_hashes(upload_root(app)) != hashes:
            problems.append(f"{kind}: the data changed")
            break
    assert not problems, "\n".join(problems)
    assert db.session.scalar(select(Unit.name)) == "恢复被拒后应保留"
    assert not list(upload_root(app).parent.glob(".restore-*"))
    assert not (tmp_path.parent / "evil").exists() and not (tmp_path / "evil").exists()
    print(f"\nbad archives refused: {len(BAD_ARCHIVES)} kinds x verify and restore")


def test_gzip_of_a_foreign_tar_is_refused(small_world, tmp_path):
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        info = tarfile.TarInfo("etc/passwd")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"root"))
    result = cli(small_world, "restore", str(foreign), "--yes")
    assert result.exit_code == 1
    assert "no manifest" in result.output
    assert gzip.open(foreign).read(1)  # it really is a readable gzip'd tar


def test_restore_asks_before_replacing_everything(small_world, tmp_path):
    archive = make_backup(small_world, tmp_path / "backups")
    db.session.execute(update(Unit).values(name="未确认时保留"))
    db.session.commit()
    result = small_world.test_cli_runner().invoke(args=["backup", "restore", str(archive)],
                                                  input="n\n")
    assert result.exit_code != 0
    assert "replaces ALL data" in result.output
    assert db.session.scalar(select(Unit.name)) == "未确认时保留"


def test_backup_while_the_app_writes_is_consistent(small_world, tmp_path):
    """Another connection keeps committing during the backup: the archive is still exact."""
    app = small_world
    stop = threading.Event()
    written = []

    def writer():
        with app.app_context():
            province_id = db.session.scalar(select(Region.id).where(Region.code == "23"))
            n = 0
            while not stop.is_set() and n < 500:
                n += 1
                db.session.add(Region(code=f"239{n:03d}", name=f"并发写入{n}",
                                      level=RegionLevel.CITY, parent_id=province_id,
                                      path=f"/23/239{n:03d}/"))
                db.session.commit()
                written.append(n)
            db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not written:  # the writer is under way before the backup starts
            stop.wait(0.01)
        archive = make_backup(app, tmp_path / "backups")
    finally:
        stop.set()
        thread.join()
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile(MANIFEST))
    in_archive = manifest["tables"]["regions"]
    assert 1 < in_archive <= 1 + len(written)
    # Restore: exactly the rows the manifest counted, not the ones written after the snapshot.
    result = cli(app, "restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert row_counts()["regions"] == in_archive
    print(f"\nregions committed during the backup: {len(written)}; in the archive: {in_archive}")
