"""Prioritised planning of procedural agents: each new agent searches a short list of plausible motions
(drive on, slow down, stop at the yield line and go when the way is clear, wait for good) and takes the first
whose boxes stay clear of everything accepted before it."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..classes import AGENT_CLASSES, AgentClass
from ..layout.geometry import RoadGeometry
from ..layout.schema import Agent, Prop, Trajectory
from .paths import Limits, Path, Profile, plan_profile, to_trajectory
from .spacetime import (CYCLE_MARGIN, PEDESTRIAN_MARGIN, VEHICLE_MARGIN, Footprint, Margin, Reservations,
                        check_times, footprint, static_footprint, trajectory_footprint)

DEPART_STEP = 0.5  # s between tried departure times after a stop
MIN_WAIT = 1.0  # s: a stop at a yield line lasts at least this long
QUEUE_SLOTS = 4  # stop positions tried behind the yield line (a queue)
QUEUE_GAP = 2.5  # m between queued vehicles


def margin_of(k: AgentClass) -> Margin:
    return {"vehicle": VEHICLE_MARGIN, "cycle": CYCLE_MARGIN}.get(k.kind, PEDESTRIAN_MARGIN)


def limits_of(k: AgentClass, on_lane: bool = False) -> Limits:
    """Planning limits well inside the class's typical limits (the validator warns beyond those)."""
    a = k.typical_accel
    lateral = np.inf if on_lane else 0.4 * a
    if k.kind == "pedestrian":
        return Limits(accel=0.25 * a, decel=0.3 * a, lateral=0.3 * a if not on_lane else lateral)
    return Limits(accel=min(2.0, 0.45 * a), decel=min(3.0, 0.55 * a), lateral=lateral)


@dataclass(frozen=True)
class Mover:
    """What is being planned: class, box size (length, width) m, and for the ego the distance from the
    path's point (its rear axle) to the box centre."""

    klass: AgentClass
    length: float
    width: float
    rear_offset: float = 0.0

    @classmethod
    def of(cls, name: str) -> "Mover":
        k = AGENT_CLASSES[name]
        return cls(k, k.size[0], k.size[1])


class Planner:
    """The scene being populated: accepted agents and props, their reservations, and id counters."""

    def __init__(self, roads: RoadGeometry, duration: float, rng: np.random.Generator):
        self.roads, self.duration, self.rng = roads, duration, rng
        self.times = check_times(duration)
        self.reserved = Reservations(self.times)
        self.agents: list[Agent] = []
        self.props: list[Prop] = []
        self.counts: Counter = Counter()
        self.tries = 0

    def new_id(self, kind: str) -> str:
        self.counts[kind] += 1
        return f"{kind}_{self.counts[kind]}"

    # ------------------------------------------------------------------------------------------- footprints

    def profile_footprint(self, path: Path, prof: Profile, mover: Mover, margin: Margin) -> Footprint:
        s, v = prof.at(self.times)
        xy, tg = path.at(s)
        yaw = np.arctan2(tg[:, 1], tg[:, 0])
        xy = xy + mover.rear_offset * tg
        end = self.duration + 1.0 if prof.rest_forever else prof.t_end
        present = (self.times >= prof.t_start - 1e-9) & (self.times <= end + 1e-9)
        return footprint(self.times, xy, tg * v[:, None], yaw, present, mover.length, mover.width, margin)

    def fits(self, path: Path, prof: Profile, mover: Mover, margin: Margin) -> bool:
        self.tries += 1
        return self.reserved.fits(self.profile_footprint(path, prof, mover, margin))

    def emitted(self, path: Path, prof: Profile, mover: Mover, margin: Margin,
                always: bool = False) -> tuple[Trajectory, Footprint] | None:
        """The trajectory written to the layout and its footprint as the world compiles it; None when that
        footprint (which may differ from the plan by interpolation) does not fit."""
        traj = to_trajectory(path, prof, limits_of(mover.klass, path.lane is not None).decel)
        fp = trajectory_footprint(traj, self.roads, self.times, mover.length, mover.width, margin,
                                  rear_offset=mover.rear_offset, always=always or prof.rest_forever)
        return (traj, fp) if self.reserved.fits(fp) else None

    def accept_static(self, xy, yaw: float, length: float, width: float) -> bool:
        fp = static_footprint(self.times, xy, yaw, length, width)
        if not self.reserved.fits(fp):
            return False
        self.reserved.add(fp)
        return True

    # ------------------------------------------------------------------------------------------- search

    def plan(self, path: Path, mover: Mover, s0: float, t0: float, speeds: list[float],
             yield_s: float | None = None, can_wait: bool = True, always: bool = False,
             end_at_rest: bool = False, rolling: float = 0.0,
             margin: Margin | None = None) -> tuple[Trajectory, Profile] | None:
        """The first motion along `path` from arc length s0 at time t0 that fits, or None.

        Tries driving on at each of `speeds` (m/s), then, with a yield line ahead (`yield_s`, where the
        front stops), stopping at it or at a queue slot behind it and departing at the earliest clear time,
        then (`can_wait`) stopping there for good. Before a yield line the agent either slows to `rolling`
        m/s at it (a give-way entry) or, with `rolling` 0, always stops (a stop line). With `end_at_rest`
        the agent stands at the path's end until the scene ends (pedestrians), otherwise it leaves the scene
        there. The accepted motion is reserved."""
        margin = margin or margin_of(mover.klass)
        lim = limits_of(mover.klass, path.lane is not None)
        t_max = self.duration
        front = mover.length / 2 + mover.rear_offset
        ahead = yield_s is not None and yield_s - front > s0 + 0.5
        cap = (yield_s - front, rolling) if ahead else None
        for v in speeds if (not ahead or rolling > 0) else ():
            prof = plan_profile(path, s0, v, t0, v, lim, t_max, end_at_rest=end_at_rest, cap=cap)
            if prof is not None and self.fits(path, prof, mover, margin):
                if (got := self._take(path, prof, mover, margin, always)) is not None:
                    return got
        if yield_s is None:
            return None
        v = speeds[0]
        slot = max(mover.length, 4.5) + QUEUE_GAP
        for k in range(QUEUE_SLOTS):
            stop = yield_s - front - k * slot
            if stop <= s0 + 0.5:
                break
            wait = plan_profile(path, s0, v, t0, v, lim, t_max, stop_s=stop)
            if wait is None:
                continue
            if not wait.rest_forever:
                continue  # still approaching when the scene ends: the free options covered it
            arrive = float(wait.t[int(np.argmax((wait.v == 0.0) & (wait.s >= stop - 1e-9)))])
            depart = arrive + MIN_WAIT
            while depart < t_max - 0.5:
                prof = plan_profile(path, s0, v, t0, v, lim, t_max, stop_s=stop, depart=depart,
                                    end_at_rest=end_at_rest)
                if prof is not None and self.fits(path, prof, mover, margin):
                    if (got := self._take(path, prof, mover, margin, always)) is not None:
                        return got
                depart += DEPART_STEP
            if can_wait and self.fits(path, wait, mover, margin):
                if (got := self._take(path, wait, mover, margin, True)) is not None:
                    return got
        return None

    def _take(self, path, prof, mover, margin, always) -> tuple[Trajectory, Profile] | None:
        got = self.emitted(path, prof, mover, margin, always)
        if got is None:
            return None
        traj, fp = got
        self.reserved.add(fp)
        return traj, prof

    def add_agent(self, kind: str, cls: str, traj: Trajectory) -> Agent:
        agent = Agent(id=self.new_id(kind), cls=cls, trajectory=traj)
        self.agents.append(agent)
        return agent

