"""Layouts built in code for the layout tests and the validation benchmark."""
from __future__ import annotations

from anyscene.layout import edit
from anyscene.layout.schema import Agent, Ego, LaneCounts, Layout, Map, Prop, Road


def busy_layout(duration: float = 30.0, n_agents: int = 40) -> Layout:
    """A valid scene: a long four-lane road with platoons of cars on every lane (equal speeds per lane, so
    they never close up), pedestrians walking along both sidewalks, parked cones on the shoulder, and an
    ego driving in lane 1 behind its platoon. `n_agents` moving agents in total."""
    road = Road(id="avenue", centerline=((-400.0, 0.0), (400.0, 0.0)), lanes=LaneCounts(forward=2, backward=2),
                speed_limit=15.0)
    layout = Layout(name="busy_avenue", duration=duration, map=Map(roads=(road,)),
                    ego=Ego(trajectory=edit.lane_follow("avenue", 1, s=20.0, speed=10.0)))
    lanes = [(1, 10.0), (2, 12.0), (-1, 11.0), (-2, 13.0)]
    n_ped = max(0, n_agents // 5)
    n_cars = n_agents - n_ped
    for k in range(n_cars):
        lane, speed = lanes[k % 4]
        s = 60.0 + 25.0 * (k // 4)
        layout = edit.add_agent(layout, Agent(id=f"car_{k}", cls="car" if k % 3 else "truck",
                                              trajectory=edit.lane_follow("avenue", lane, s=s, speed=speed)))
    for k in range(n_ped):
        side = 1.0 if k % 2 else -1.0
        x0 = -200.0 + 20.0 * k
        y = side * 8.5
        layout = edit.add_agent(layout, Agent(id=f"ped_{k}", cls="pedestrian", trajectory=edit.waypoints(
            [(0.0, (x0, y)), (duration / 2, (x0 + side * 0.7 * duration, y)),
             (duration, (x0 + side * 1.4 * duration, y))])))
    for k in range(4):
        layout = edit.add_prop(layout, Prop(id=f"cone_{k}", cls="traffic_cone", xy=(-300.0 + 3.0 * k, -7.6)))
    return layout
