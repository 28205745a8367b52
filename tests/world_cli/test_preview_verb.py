"""`anyscene preview`: PNG, GIF and MP4 pictures that show the occupancy where the agents are."""
from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio2
import imageio.v3 as imageio
import numpy as np
import pytest

from anyscene.cli.main import main
from anyscene.world.pictures import EGO_COLOR, OCC3D_PALETTE

SIZE = 400  # px across the 80 m grid: 5 px per metre
PPM = SIZE / 80.0
CAR = tuple(int(c) for c in OCC3D_PALETTE[4])
PEDESTRIAN = tuple(int(c) for c in OCC3D_PALETTE[7])


def bev_pixel(ego_xy: np.ndarray) -> np.ndarray:
    """Ego-frame metres (N, 2) -> (column, row) pixels of the default ±40 m grid: forward up, left to the left."""
    ego_xy = np.atleast_2d(ego_xy)
    return np.stack([(40.0 - ego_xy[:, 1]) * PPM, (40.0 - ego_xy[:, 0]) * PPM], axis=1)


def agent_points(world, agent_id: str, t: float, shrink: float = 0.45) -> np.ndarray:
    """Ego-frame points (N, 2) well inside an agent's footprint at time t."""
    n = next(i for i, a in enumerate(world.agents) if a.id == agent_id)
    st, ego = world.states(t), world.ego_pose(t)
    length, width = st.size[n, 0] - 2 * shrink, st.size[n, 1] - 2 * shrink
    u, v = np.meshgrid(np.linspace(-length / 2, length / 2, 9), np.linspace(-width / 2, width / 2, 4))
    c, s = np.cos(st.yaw[n]), np.sin(st.yaw[n])
    world_pts = np.stack([st.center[n, 0] + c * u - s * v, st.center[n, 1] + s * u + c * v, 0 * u], -1).reshape(-1, 3)
    return ego.to_ego(world_pts)[:, :2]


def colours_at(image: np.ndarray, px: np.ndarray) -> list[tuple[int, ...]]:
    cols, rows = np.floor(px).astype(int).T
    return [tuple(int(c) for c in image[r, k, :3]) for r, k in zip(rows, cols)]


def preview(layout: Path, out: Path, *extra: str) -> int:
    return main(["preview", str(layout), "--out", str(out), "--size", str(SIZE), *extra])


def test_png_shows_agents_in_their_class_colour_where_they_are(small_layout_path, small_world, tmp_path):
    out = tmp_path / "bev.png"
    assert preview(small_layout_path, out, "--t", "2") == 0
    image = imageio.imread(out)
    assert image.ndim == 3 and image.shape[0] >= SIZE and image.shape[1] > SIZE
    # car_2 drives towards the ego in the opposite lane: its footprint is drawn in the car colour.
    inside = colours_at(image, bev_pixel(agent_points(small_world, "car_2", 2.0)))
    assert sum(c == CAR for c in inside) >= 0.6 * len(inside)
    # Car pixels exist only where cars are: about the footprints of the cars inside the grid.
    car_pixels = np.count_nonzero(np.all(image[:SIZE, :SIZE, :3] == CAR, axis=-1))
    st, ego = small_world.states(2.0), small_world.ego_pose(2.0)
    in_grid = sum(bool(np.all(np.abs(ego.to_ego(st.center[n][None])[0, :2]) < 38.0))
                  for n, a in enumerate(small_world.agents) if a.klass.name == "car" and st.present[n])
    footprint = 4.6 * 1.9 * PPM * PPM
    assert in_grid >= 1
    assert 0.4 * footprint * in_grid < car_pixels < 1.5 * footprint * in_grid
    # The pedestrian shows up in pedestrian red within a metre of where it is.
    (centre,) = agent_points(small_world, "ped_1", 2.0, shrink=0.35)[:1]
    window = image[int((40 - centre[0] - 1) * PPM):int((40 - centre[0] + 1) * PPM),
                   int((40 - centre[1] - 1) * PPM):int((40 - centre[1] + 1) * PPM), :3]
    assert np.any(np.all(window == PEDESTRIAN, axis=-1))
    # The ego box sits at the grid's centre, drawn in the ego colour, nose up.
    assert colours_at(image, bev_pixel(np.array([[1.5, 0.0]])))[0] == EGO_COLOR
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_gif_streams_one_frame_per_time_with_exact_class_colours(small_layout_path, small_world, tmp_path):
    gif, png = tmp_path / "bev.gif", tmp_path / "t2.png"
    assert preview(small_layout_path, gif, "--duration", "2", "--rate", "2") == 0
    assert preview(small_layout_path, png, "--t", "2") == 0
    frames = imageio.imread(gif, index=None)
    assert frames.shape[0] == 5  # t = 0, 0.5, 1, 1.5, 2
    last, still = frames[-1][..., :3], imageio.imread(png)[..., :3]
    assert last.shape == still.shape
    # Map colours are exact in the GIF palette; only anti-aliased text may be rounded.
    assert np.mean(np.all(last[:SIZE, :SIZE] == still[:SIZE, :SIZE], axis=-1)) > 0.98
    inside = colours_at(last, bev_pixel(agent_points(small_world, "car_2", 2.0)))
    assert sum(c == CAR for c in inside) >= 0.6 * len(inside)
    assert not np.array_equal(frames[0], frames[-1])  # the scene moves


def test_mp4_has_the_expected_frames(small_layout_path, tmp_path):
    out = tmp_path / "bev.mp4"
    assert preview(small_layout_path, out, "--duration", "1") == 0  # default 10 Hz -> 11 frames
    reader = imageio2.get_reader(out, format="FFMPEG")
    try:
        assert reader.count_frames() == 11
        assert reader.get_meta_data()["fps"] == 10.0
        first = reader.get_data(0)
    finally:
        reader.close()
    assert first.shape[0] % 16 == 0 and first.shape[1] % 16 == 0
    # Lossy, but the ego box is still clearly ego-coloured.
    r, c = bev_pixel(np.array([[1.5, 0.0]]))[0][::-1].astype(int)
    assert np.abs(first[r, c].astype(int) - np.array(EGO_COLOR)).max() < 40


def test_world_view_draws_the_ego_where_it_is(small_layout_path, small_world, tmp_path):
    paths = {t: tmp_path / f"world_{t}.png" for t in (0, 4)}
    for t, path in paths.items():
        assert main(["preview", str(small_layout_path), "--out", str(path), "--view", "world", "--t", str(t),
                     "--size", "800"]) == 0
    x0, y0, x1, y1 = small_world.static.extent
    ppm = 800 / max(x1 - x0, y1 - y0)

    def ego_pixel(t: float) -> tuple[int, int]:
        pose = small_world.ego_pose(t)
        length, _, _ = small_world.ego_spec.size
        centre = pose.to_world(np.array([[length / 2 - small_world.ego_spec.rear_overhang, 0.0, 0.0]]))[0]
        return int((y1 - centre[1]) * ppm), int((centre[0] - x0) * ppm)

    images = {t: imageio.imread(p)[..., :3] for t, p in paths.items()}
    for t in paths:
        r, c = ego_pixel(t)
        assert tuple(int(v) for v in images[t][r, c]) == EGO_COLOR
    r, c = ego_pixel(0)
    assert tuple(int(v) for v in images[4][r, c]) != EGO_COLOR  # 20 m further on, the ego has left that spot


@pytest.mark.parametrize("extra, message", [
    (["--out", "picture.jpg"], "unknown picture type"),
    (["--out", "picture.png", "--t", "7"], "--t 7"),
    (["--out", "picture.gif", "--rate", "-1"], "--rate"),
    (["--out", "picture.png", "--size", "10"], "--size"),
])
def test_bad_options_exit_2_without_output(small_layout_path, tmp_path, capsys, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    assert main(["preview", str(small_layout_path), *extra]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small_cross.yaml"]
