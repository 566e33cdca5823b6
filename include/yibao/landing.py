"""Landing: every department drop is copied once, immutably, under its SHA-256.

A rerun over the same drop finds the same hash and reads the same bytes; a corrected roster is a new
file with a new hash, so what was loaded on any day can always be shown again.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from yibao.sources import Source


@dataclass(frozen=True)
class LandedFile:
    source: str
    original: str  # path relative to the inbox, as the department named it
    path: Path  # the immutable landed copy
    sha256: str
    size: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_drops(inbox: Path, source: Source) -> list[Path]:
    """The files in the inbox that belong to a feed, in a stable order (Office lock files skipped)."""
    return sorted(p for p in inbox.glob(source.files) if p.is_file() and not p.name.startswith(("~$", ".")))


def land(inbox: Path, source: Source, landing_dir: Path) -> list[LandedFile]:
    """Copy each drop of ``source`` into ``landing_dir/<feed>/<sha256><suffix>`` unless already there."""
    landed = []
    for drop in find_drops(inbox, source):
        digest = sha256_of(drop)
        target = landing_dir / source.id / f"{digest}{drop.suffix.lower()}"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            shutil.copyfile(drop, tmp)
            tmp.chmod(0o444)
            tmp.replace(target)
        landed.append(LandedFile(source.id, drop.relative_to(inbox).as_posix(), target, digest, drop.stat().st_size))
    return landed
