"""The typed configuration of `anyscene batch`: where the scenes come from (a folder or glob of layouts, or the
procedural sampler), how each is generated (overrides of configs/generate.yaml), the dataset version and
split ratio, and how many scenes run at once (local processes or Ray). See configs/batch/default.yaml.
"""
from __future__ import annotations

import glob
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from ..config import Provenance, check_typed, check_value, field_type, load_structured
from ..config.yaml import check_characters, read_text
from ..errors import ConfigError
from ..resources import config_dir, looks_like_path, resolve

CONFIG_DIR = config_dir("batch")


@dataclass
class SamplerSource:
    config: str = "default"  # sampler config: a shipped name, or a path (relative: to the batch config, else the cwd)
    n: int = 10  # number of procedural scenes
    seed: Optional[int] = None  # base seed; null = the sampler config's
    start: int = 0  # index of the first scene (scene i is the same whatever n is)
    overrides: list[str] = field(default_factory=list)  # key=value overrides of the sampler config


@dataclass
class SourceConfig:
    layouts: Optional[str] = None  # a folder of layout YAMLs or a glob (relative: to the batch config, else the cwd)
    sampler: Optional[SamplerSource] = None  # procedural scenes instead of layout files


@dataclass
class RayConfig:
    address: Optional[str] = None  # null: local processes; auto, local, HOST:PORT or ray://HOST:PORT (see --ray)
    num_cpus: Optional[int] = None  # CPUs of a local Ray instance started here; null = `workers`
    cpus_per_scene: float = 1.0  # CPUs Ray reserves for each scene task


@dataclass
class BatchConfig:
    """Every setting of `anyscene batch`; see configs/batch/default.yaml for the one-line documentation."""

    source: SourceConfig = field(default_factory=SourceConfig)
    generate_config: Optional[str] = None  # base generation config file; null = configs/generate.yaml
    generate: dict[str, Any] = field(default_factory=dict)  # overrides of the generation config (dotted keys or nested)
    version: Optional[str] = None  # dataset version folder; null = the generation config's
    val_fraction: Optional[float] = None  # share of scenes in the validation split; null = the generation config's
    sensors: Optional[list[str]] = None  # sensor kinds to simulate and write (camera, lidar, radar); null = the generation config's
    workers: int = 0  # scenes generated at once by local processes; 0 = all local cores
    ray: RayConfig = field(default_factory=RayConfig)


def load_batch_config(path: str | Path, overrides: Sequence[str] = (), options: dict[str, Any] | None = None
                      ) -> BatchConfig:
    """The batch config: `path` merged into the typed defaults, then `options` (dotted keys, None values
    skipped), then `key=value` overrides; validated. Relative source paths are resolved here."""
    src = resolve("batch", path)
    obj, provenance = load_structured(src, BatchConfig, what="batch config", reference="configs/batch/default.yaml",
                                      overrides=overrides, options=options, option_merge=True,
                                      example="generate.resolution=800x450")
    _check_generate_section(provenance.doc)
    _check_generate_values(obj.generate, provenance)
    _validate(obj, src, provenance)
    base = src.resolve().parent
    if obj.generate_config is not None:
        obj.generate_config = _resolve(obj.generate_config, base, names_ok=True)
        with _at(provenance, "generate_config", src):
            resolve("generate", obj.generate_config)
    try:  # the generation settings' ranges, at the line (or override) that set them
        generation_config(obj)
    except ConfigError as e:
        m = re.match(r"generate: option ([\w.]+)=\S*: (.*)", str(e), re.S)
        if m is None:
            raise
        key = {"version": "version", "splits.val_fraction": "val_fraction", "sensors": "sensors"}.get(m.group(1), f"generate.{m.group(1)}")
        place = provenance.where(key)
        if not place:
            raise
        raise ConfigError(f"{place}: {m.group(2)}") from None
    if obj.source.layouts is not None:
        obj.source.layouts = _resolve(obj.source.layouts, base, glob_ok=True)
        with _at(provenance, "source.layouts", src):
            files = layout_files(obj.source.layouts)
        for p in files:  # unreadable files stop the batch before it starts
            read_layout_text(p)
    if obj.source.sampler is not None:
        obj.source.sampler.config = _resolve(obj.source.sampler.config, base, names_ok=True)
        with _at(provenance, "source.sampler.config", src):
            resolve("sampler", obj.source.sampler.config)
    return obj


@contextmanager
def _at(provenance: Provenance, key: str, src: Path):
    """A ConfigError about the value of `key` (a missing file or folder) names the place that set it: the
    batch config's FILE:LINE:COL, or the option or override."""
    try:
        yield
    except ConfigError as e:
        place = provenance.where(key) or f"{src}:1:1"
        text = str(e).removeprefix(f"{key} ")
        raise ConfigError(f"{place}: {key}: {text}") from None


def layout_files(spec: str) -> list[Path]:
    """The layout files of a `source.layouts` folder or glob, in name order; ConfigError when there are none."""
    p = Path(spec)
    if p.is_dir():
        files = sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml") and q.is_file())
    else:
        files = sorted(Path(q) for q in glob.glob(spec) if Path(q).is_file())
    if not files:
        raise ConfigError(f"source.layouts {spec}: no layout files (*.yaml) found")
    return files


def read_layout_text(path: Path) -> str:
    """A layout file's text, read within the layout size bound (YamlFileError at the line of a byte that is
    not UTF-8, a control character, or a file too large)."""
    from ..layout.yamlio import MAX_LAYOUT_BYTES

    text = read_text(path, MAX_LAYOUT_BYTES, "layout file")
    check_characters(text, str(path))
    return text


def _resolve(p: str, base: Path, glob_ok: bool = False, names_ok: bool = False) -> str:
    """A path relative to the config's folder when it exists there (or, for a glob, matches there), else to
    the working folder. With `names_ok`, a bare name (a shipped config) stays as it is."""
    if names_ok and not looks_like_path(p):
        return p
    path = Path(os.path.expanduser(p))
    if path.is_absolute():
        return str(path)
    near = base / path
    if near.exists():
        return str(near)
    if glob_ok and any(ch in p for ch in "*?[") and near.parent.is_dir() and any(near.parent.glob(near.name)):
        return str(near)
    return str(Path.cwd() / path)


def _check_generate_section(doc) -> None:
    """The `generate:` section holds keys of the generation config (nested or dotted), each of its type,
    checked at its line."""
    from ..export.config import GenerateConfig

    section = doc.data.get("generate")
    if not isinstance(section, dict):
        return
    for key, value in flatten(section).items():
        tp = field_type(GenerateConfig, key)
        if tp is None:
            raise doc.error(f"generate.{key}", f"unknown generation setting '{key}'; see configs/generate.yaml "
                                               "for the known keys")
        check_typed(doc, value, tp, f"generate.{key}", "configs/generate.yaml")


def _check_generate_values(section: dict, provenance: Provenance) -> None:
    """The same for values set by overrides (generate.KEY=VALUE), named by the override."""
    from ..export.config import GenerateConfig

    for key, value in flatten(section).items():
        place = provenance.where(f"generate.{key}")
        if place.startswith("override") or place.startswith("option"):
            check_value(GenerateConfig, key, value, place, "configs/generate.yaml")


def _validate(c: BatchConfig, src: Path, provenance: Provenance | None = None) -> None:
    def need(cond: bool, key: str, msg: str) -> None:
        if not cond:
            place = provenance.where(key) if provenance is not None else ""
            raise ConfigError(f"{place or f'{src}:1:1'}: {key}: {msg}")  # unset: at the top mapping

    s = c.source
    need((s.layouts is None) != (s.sampler is None), "source",
         "give exactly one of 'layouts' (a folder or glob of layout files) or 'sampler'")
    if s.sampler is not None:
        need(1 <= s.sampler.n <= 1_000_000, "source.sampler.n", "must be within 1..1000000")
        need(s.sampler.seed is None or s.sampler.seed >= 0, "source.sampler.seed", "must be >= 0")
        need(s.sampler.start >= 0, "source.sampler.start", "must be >= 0")
    need(0 <= c.workers <= 1024, "workers", "must be within 0..1024 (0 = all local cores)")
    need(c.val_fraction is None or 0.0 <= c.val_fraction <= 1.0, "val_fraction", "must be within 0..1")
    need(c.ray.num_cpus is None or c.ray.num_cpus >= 1, "ray.num_cpus", "must be >= 1")
    need(c.ray.cpus_per_scene > 0, "ray.cpus_per_scene", "must be > 0")


def local_workers(c: BatchConfig) -> int:
    """Scene processes to run at once on this machine."""
    return c.workers if c.workers > 0 else (os.cpu_count() or 1)


def flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys: {'a': {'b': 1}} -> {'a.b': 1} (lists are values)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def generation_config(c: BatchConfig):
    """The GenerateConfig every scene of the batch uses (ConfigError for unknown or bad keys)."""
    from ..export.config import load_config

    options = flatten(c.generate)
    if c.version is not None:
        options["version"] = c.version
    if c.val_fraction is not None:
        options["splits.val_fraction"] = c.val_fraction
    if c.sensors is not None:
        options["sensors"] = list(c.sensors)
    options["progress"] = False  # the batch shows one bar across scenes
    options["overwrite"] = None
    try:
        return load_config(c.generate_config, options)
    except ConfigError as e:
        raise ConfigError(f"generate: {e}") from None
