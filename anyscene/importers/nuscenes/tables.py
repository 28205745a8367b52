"""Reading a nuScenes version folder: the 13 JSON tables, checked well enough that every problem a user can
have (a missing or truncated table, an unknown scene, a dangling reference, a folder that is not nuScenes at
all) is reported as a `DatasetError` naming the file and the record, before anything is built."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ...errors import DatasetError

TABLES = ("category", "attribute", "visibility", "instance", "sensor", "calibrated_sensor", "ego_pose", "log",
          "scene", "sample", "sample_data", "sample_annotation", "map")

LIDAR = "LIDAR_TOP"  # the channel whose sweeps the import reads (boxes, timeline, background)


@dataclass
class NuScenesTables:
    """The tables of one version folder: `records[table]` the list as stored, `index[table][token]` each record
    by its token. `dataroot` holds `<version>/` and the files the tables name."""

    dataroot: Path
    version: str
    records: dict[str, list[dict]]
    index: dict[str, dict[str, dict]]

    def file(self, table: str) -> Path:
        return self.dataroot / self.version / f"{table}.json"

    def get(self, table: str, token: str, referrer: str) -> dict:
        """The record `token` of `table`; DatasetError naming `referrer` (the record that points at it)."""
        rec = self.index[table].get(token)
        if rec is None:
            raise DatasetError(f"{self.file(table)}: no {table} record with token '{token}', referenced by "
                               f"{referrer}; the tables are incomplete")
        return rec

    def scene(self, name: str) -> dict:
        """The scene record called `name`; DatasetError listing the scenes there are."""
        for rec in self.records["scene"]:
            if rec.get("name") == name:
                return rec
        names = sorted(str(r.get("name")) for r in self.records["scene"])
        shown = ", ".join(names[:30]) + (f", ... ({len(names)} scenes)" if len(names) > 30 else "")
        raise DatasetError(f"{self.file('scene')}: no scene named '{name}'; available: {shown or 'none'}")


def _versions(dataroot: Path) -> list[str]:
    return sorted(p.name for p in dataroot.iterdir() if p.is_dir() and (p / "scene.json").exists())


def read_tables(dataroot: str | Path, version: str) -> NuScenesTables:
    """Load and index the 13 tables of `dataroot/version`; DatasetError on anything missing or malformed."""
    root = Path(dataroot)
    if not root.is_dir():
        raise DatasetError(f"{root}: no such folder; give the nuScenes dataroot (the folder holding "
                           f"'{version}/', 'samples/' and 'maps/')")
    folder = root / version
    if not folder.is_dir():
        found = _versions(root)
        if found:
            raise DatasetError(f"{folder}: no version folder '{version}' in this dataroot; it has: "
                               f"{', '.join(found)} (pass one with --version)")
        raise DatasetError(f"{root}: not a nuScenes dataroot: no '{version}/' folder with the tables "
                           f"({', '.join(t + '.json' for t in TABLES)})")
    missing = [t for t in TABLES if not (folder / f"{t}.json").is_file()]
    if len(missing) == len(TABLES):
        raise DatasetError(f"{folder}: not a nuScenes version folder: none of the 13 tables "
                           f"({', '.join(t + '.json' for t in TABLES)}) is there")
    if missing:
        raise DatasetError(f"{folder / (missing[0] + '.json')}: missing table '{missing[0]}'"
                           + (f" (also missing: {', '.join(missing[1:])})" if missing[1:] else "")
                           + "; a nuScenes version folder holds all 13 tables")
    records, index = {}, {}
    for table in TABLES:
        records[table] = _load(folder / f"{table}.json", table)
        index[table] = {r["token"]: r for r in records[table]}
    return NuScenesTables(root, version, records, index)


def _load(path: Path, table: str) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DatasetError(f"{path}: cannot read table '{table}': {e}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        what = "truncated" if e.pos >= len(text.rstrip()) else "corrupted"
        raise DatasetError(f"{path}:{e.lineno}:{e.colno}: table '{table}' is not valid JSON ({what}: "
                           f"{e.msg}); restore the file from the dataset") from None
    if not isinstance(data, list):
        raise DatasetError(f"{path}: table '{table}' must be a JSON list of records, got "
                           f"{type(data).__name__}")
    for i, rec in enumerate(data):
        if not isinstance(rec, dict) or not isinstance(rec.get("token"), str):
            raise DatasetError(f"{path}: record {i} of table '{table}' is not a mapping with a 'token'")
    return data


def field(tables: NuScenesTables, table: str, rec: dict, key: str):
    """`rec[key]`, or DatasetError naming the table file and the record."""
    if key not in rec:
        raise DatasetError(f"{tables.file(table)}: {table} record '{rec.get('token')}' has no field '{key}'")
    return rec[key]
