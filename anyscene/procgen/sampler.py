"""Procedural scenes: a road template drawn from the config's weights, dressed with buildings and props, and
populated with plausible, collision-free traffic; confirmed by the strict layout validator.

Scene i of a config depends only on (config, seed, i): its random numbers come from
`numpy.random.default_rng(SeedSequence([seed, i, attempt]))`, so sampling 10 or 1000 scenes gives the same
first 10 files. A draw that fails validation is drawn again with the next attempt number (bounded).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..atomic import atomic_folder
from ..errors import Issue, LayoutError, Location
from ..layout.schema import Environment, Layout, Map
from ..validation import check
from ..layout.yamlio import dump_layout
from .network import compile_network, jaywalk_spots
from .pedestrians import plan_crossers, plan_walkers, sidewalk_length
from .planner import Planner
from .config import TIME_OF_DAY_HOURS, TEMPLATES, SamplerConfig
from .scenery import place_buildings, place_parked, place_props
from .templates import TEMPLATE_BUILDERS
from .vehicles import Unplaceable, choose_ego, cut_ins, cyclists, lane_speeds, pick, plan_ego, plan_vehicles, stream


@dataclass(frozen=True)
class SampleStats:
    """How one scene was drawn: its template, the attempt that passed validation (0 = first) and what it
    holds."""

    index: int
    name: str
    template: str
    attempt: int
    counts: dict


def scene_name(cfg: SamplerConfig, index: int) -> str:
    return f"{cfg.name_prefix}_{index:05d}"


def scene_rng(seed: int, index: int, attempt: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, index, attempt]))


def draw_layout(cfg: SamplerConfig, index: int, attempt: int = 0, template: str | None = None
                ) -> tuple[Layout, dict]:
    """One procedural layout (not yet validated) and counts of what it holds."""
    rng = scene_rng(cfg.seed, index, attempt)
    template = template or pick(rng, {k: cfg.templates.get(k, 0.0) for k in TEMPLATES})
    bp = TEMPLATE_BUILDERS[template](cfg, rng)
    net = compile_network(bp, rng, cfg.roads.crosswalk_share)
    T = cfg.duration
    planner = Planner(net.roads, T, rng)
    b = cfg.behaviour

    buildings = place_buildings(net, cfg, rng)
    walk_len = sidewalk_length(net)
    counts = {"template": template}
    speeds = lane_speeds(net, cfg, rng)
    ego_route, ego_s0, ego_v = choose_ego(net, cfg, rng)
    ego = None
    if ego_route.yield_s is None:
        speeds[ego_route.entry] = round(ego_v, 2)  # the ego's lane flows at the ego's speed
        ego = plan_ego(planner, ego_route, ego_s0, ego_v)  # first: everything else makes way for it
    counts["parked"] = place_parked(planner, net, cfg, rng)
    counts["props"] = place_props(planner, net, cfg, rng, int(rng.poisson(cfg.density.props * walk_len / 100.0)),
                                  buildings)
    cands = stream(net, cfg, rng, speeds) + cyclists(net, cfg, rng)
    priority = [c for c in cands if c.route.yield_s is None]
    yielding = [c for c in cands if c.route.yield_s is not None]

    n_peds = int(rng.poisson(cfg.density.pedestrians * walk_len / 100.0))
    shares = np.array([b.crossing_share, b.jaywalker_share, max(1.0 - b.crossing_share - b.jaywalker_share, 0.0)])
    n_cross, n_jay, n_walk = (rng.multinomial(n_peds, shares / shares.sum()) if n_peds else (0, 0, 0))

    counts["vehicles"] = plan_vehicles(planner, priority, yielding=False)
    n_multi = sum(1 for a in planner.agents if _on_multilane(net, a))
    counts["cut_ins"] = cut_ins(planner, net, cfg, rng, speeds, ego_route, ego_s0, ego_v,
                                int(rng.binomial(n_multi, b.cut_in_share)) if n_multi else 0)
    if ego is None:
        ego = plan_ego(planner, ego_route, ego_s0, ego_v)  # a turning ego gives way to the priority traffic
    counts["crossers"] = plan_crossers(planner, net, cfg, rng, net.crossings, int(n_cross), jaywalk=False)
    counts["vehicles"] += plan_vehicles(planner, yielding, yielding=True)
    counts["walkers"] = plan_walkers(planner, net, cfg, rng, int(n_walk))
    spots = jaywalk_spots(net, rng, max(int(n_jay), 0) * 2)
    counts["jaywalkers"] = plan_crossers(planner, net, cfg, rng, spots, int(n_jay), jaywalk=True)
    counts["cyclists"] = sum(1 for a in planner.agents if a.id.startswith("cyclist_"))

    weather = pick(rng, cfg.environment.weather)
    tod = pick(rng, cfg.environment.time_of_day)
    lo, hi = TIME_OF_DAY_HOURS[tod]
    hour = round(float(rng.uniform(lo, hi)), 2)
    tags = [template, weather, tod]
    if counts["jaywalkers"]:
        tags.append("jaywalker")
    if counts["cut_ins"]:
        tags.append("cut_in")
    if ego_route.yield_s is not None:
        tags.append("ego_turn")
    m = net.map
    layout = Layout(
        name=scene_name(cfg, index), duration=T, seed=int(rng.integers(0, 2 ** 31 - 1)),
        description=(f"procedural {template} scene: {len(planner.agents)} agents, {len(planner.props)} props; "
                     f"tags: weather={weather}, time_of_day={tod}"),
        environment=Environment(time_of_day=hour, weather=weather, tags=tuple(tags)),
        map=Map(ground=m.ground, roads=m.roads, crosswalks=m.crosswalks, areas=m.areas, buildings=tuple(buildings),
                props=tuple(planner.props)),
        ego=ego, agents=tuple(planner.agents))
    return layout, counts


def _on_multilane(net, agent) -> bool:
    lane = agent.trajectory.lane
    if lane is None or lane.road not in net.blueprint.major:
        return False
    r = next(r for r in net.map.roads if r.id == lane.road)
    n = r.lanes.forward if lane.lane > 0 else r.lanes.backward
    return n >= 2 and not any(k[0] == lane.road for k in net.blueprint.parking)


def sample_layout(cfg: SamplerConfig, index: int, template: str | None = None) -> tuple[str, SampleStats]:
    """The YAML text of scene `index`, validated strictly (no warnings); resampled with derived seeds up to
    `max_retries` times. Raises LayoutError with the last attempt's issues when every attempt fails."""
    last: LayoutError | None = None
    for attempt in range(cfg.max_retries + 1):
        try:
            layout, counts = draw_layout(cfg, index, attempt, template)
        except Unplaceable as e:
            last = LayoutError([Issue(Location(f"{scene_name(cfg, index)}.yaml"), str(e))])
            continue
        try:
            # The in-memory layout is what the file holds: parse_layout(dump_layout(x)) == x.
            check(layout, strict=True, file=f"{layout.name}.yaml")
        except LayoutError as e:
            last = e
            continue
        return dump_layout(layout), SampleStats(index, layout.name, counts["template"], attempt, counts)
    assert last is not None
    raise last


def sample_to_dir(cfg: SamplerConfig, n: int, out: str | os.PathLike, overwrite: bool = False,
                  progress: bool = False, start: int = 0) -> list[SampleStats]:
    """Write scenes start .. start+n-1 as `out/<prefix>_<index:05d>.yaml`, atomically: into a temporary folder
    next to `out`, renamed into place when all are written. Refuses a non-empty `out` unless `overwrite`."""
    stats = []
    with atomic_folder(out, overwrite, empty_ok=True) as tmp:
        indices = range(start, start + n)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=n, unit="scene", desc="sample")
        for i in indices:
            text, st = sample_layout(cfg, i)
            (tmp / f"{st.name}.yaml").write_text(text, encoding="utf-8")
            stats.append(st)
            if bar:
                bar.update(1)
        if bar:
            bar.close()
    return stats
