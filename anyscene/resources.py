"""The configs and assets that ship with the package, and the one resolver for "a name or a path" of each kind.

The top-level `configs/` and `assets/` folders of the source tree are the editable originals; the package
reaches them as `anyscene/data/configs` and `anyscene/data/assets` (links in the source tree, real folders in
a wheel), found through importlib.resources, so an installed wheel, a Ray worker or an editable checkout all
read the same files.

`resolve(kind, value)` turns a config argument into a file: an existing path (or anything that looks like one:
it has a folder part or a `.yaml`/`.yml` suffix) is taken as it is; a bare name is looked up among the shipped
configs of that kind, e.g. `resolve("rig", "nuscenes")` -> `.../configs/rigs/nuscenes.yaml`.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import ConfigError


@dataclass(frozen=True)
class ConfigKind:
    """A kind of shipped config: `folder` under configs/, what the user calls it (`label`) and the option or
    argument that takes it (`option`), for messages."""

    folder: str
    label: str
    option: str


KINDS: dict[str, ConfigKind] = {
    "generate": ConfigKind("", "generation config", "--config"),
    "grid": ConfigKind("grid", "grid", "--grid"),
    "rig": ConfigKind("rigs", "rig", "--rig"),
    "style": ConfigKind("render", "raster style", "style"),
    "renderer": ConfigKind("renderer", "renderer training config", "CONFIG"),
    "sampler": ConfigKind("sampler", "sampler config", "CONFIG"),
    "batch": ConfigKind("batch", "batch config", "CONFIG"),
}
SUFFIXES = (".yaml", ".yml")


def data_dir() -> Path:
    """The package's data folder (holding `configs/` and `assets/`)."""
    return Path(str(resources.files("anyscene") / "data"))


def config_dir(kind: str) -> Path:
    """The folder of the shipped configs of `kind` (a key of KINDS)."""
    return data_dir() / "configs" / _kind(kind).folder


def asset(name: str) -> Path:
    """A shipped asset file, e.g. `asset("palette.json")`."""
    return data_dir() / "assets" / name


def known(kind: str) -> list[str]:
    """The names of the shipped configs of `kind`, sorted."""
    return sorted(p.stem for p in config_dir(kind).glob("*.yaml"))


def shipped(kind: str, name: str) -> Path:
    """The shipped config `name` of `kind`; ConfigError listing the known names when there is none."""
    path = config_dir(kind) / f"{name}.yaml"
    if not path.is_file():
        k = _kind(kind)
        raise ConfigError(f"{k.option} {name}: no such {k.label}; known {k.label}s: {', '.join(known(kind)) or 'none'} "
                          f"(or give the path of a .yaml file)")
    return path


def looks_like_path(value: str | Path) -> bool:
    """Whether a config argument names a file rather than a shipped config."""
    s = str(value)
    return isinstance(value, Path) or "/" in s or "\\" in s or s.endswith(SUFFIXES)


def resolve(kind: str, value: str | Path) -> Path:
    """The file of a config argument: a path as given (ConfigError when it is not a file), else the shipped
    config of that name."""
    if looks_like_path(value):
        path = Path(value)
        if not path.is_file():
            k = _kind(kind)
            what = "is not a file" if path.exists() else "no such file"
            raise ConfigError(f"{path}: {what} ({k.option}: a {k.label} name, one of "
                              f"{', '.join(known(kind)) or 'none'}, or the path of a .yaml file)")
        return path
    return shipped(kind, str(value))


def _kind(kind: str) -> ConfigKind:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown config kind {kind!r}; known: {', '.join(KINDS)}") from None
