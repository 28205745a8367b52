"""Raster renderer: determinism, class colours, markings, lighting, haze, time of day, output format.

Camera frames come from a small analytic ray caster below (ground plane z = 0 classed by the world's static
map, plus oriented boxes), so these tests do not depend on the sensor simulation."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.classes import FREE, OCC3D_ID
from anyscene.render.lighting import encode, light_env
from anyscene.render.markings import BuildingIndex, MarkingRaster
from anyscene.render.shading import render_rgb
from anyscene.render.style import load_style
from anyscene.sensors.types import Camera, CameraFrame

FRONT_Q = np.array([0.5, -0.5, 0.5, -0.5])  # camera looking along ego +x, level (OpenCV axes)


def make_camera(width=320, height=180, fov_deg=70.0, q=FRONT_Q, t=(1.5, 0.0, 1.5)) -> Camera:
    f = width / 2 / np.tan(np.radians(fov_deg) / 2)
    k = np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1.0]])
    return Camera("CAM_TEST", width, height, k, np.array(t, float), np.asarray(q, float))


class Pose:
    """A stand-in ego pose (the renderer reads only `.matrix` and `.t`)."""

    def __init__(self, x=0.0, y=0.0, yaw=0.0):
        c, s = np.cos(yaw), np.sin(yaw)
        self.matrix = np.array([[c, -s, 0, x], [s, c, 0, y], [0, 0, 1, 0], [0, 0, 0, 1.0]])
        self.t = 0.0


def cast(camera: Camera, ego, boxes=(), ground=None, t: float = 0.0) -> CameraFrame:
    """Ray-cast a frame: ground plane z = 0 (class from `ground(x, y)`, default driveable) and `boxes`, each
    (center (3,), size (l, w, h), yaw, occ3d class, instance id). Nothing beyond 400 m is hit (sky)."""
    h, w = camera.height, camera.width
    cam2world = ego.matrix @ camera.cam2ego
    r, o = cam2world[:3, :3], cam2world[:3, 3]
    v, u = np.mgrid[0:h, 0:w] + 0.5  # pixel centres, as the camera sensor casts them
    kinv = np.linalg.inv(camera.intrinsic)
    dc = np.stack([u.ravel(), v.ravel(), np.ones(u.size)], axis=1) @ kinv.T  # camera rays with z = 1
    d = dc @ r.T
    n = len(d)
    tbest = np.full(n, np.inf)
    sem = np.full(n, FREE, np.uint8)
    inst = np.zeros(n, np.uint16)
    nrm = np.zeros((n, 3))
    down = d[:, 2] < -1e-9
    tg = np.where(down, -o[2] / np.where(down, d[:, 2], -1.0), np.inf)
    tg[tg * np.linalg.norm(d, axis=1) > 400.0] = np.inf
    hit = np.isfinite(tg)
    tbest[hit] = tg[hit]
    gp = o + tg[hit, None] * d[hit]
    sem[hit] = ground(gp[:, 0], gp[:, 1]) if ground is not None else OCC3D_ID["driveable_surface"]
    nrm[hit] = (0, 0, 1)
    for center, size, yaw, cls, iid in boxes:
        c, s = np.cos(yaw), np.sin(yaw)
        rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
        lo_ = (o - np.asarray(center)) @ rot
        ld = d @ rot
        half = np.asarray(size) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (-half - lo_) / ld
            t2 = (half - lo_) / ld
        tn = np.nanmax(np.minimum(t1, t2), axis=1)
        tf = np.nanmin(np.maximum(t1, t2), axis=1)
        ok = (tn <= tf) & (tn > 0) & (tn < tbest)
        axis = np.nanargmax(np.minimum(t1, t2), axis=1)
        tbest[ok] = tn[ok]
        sem[ok], inst[ok] = cls, iid
        ln = np.zeros((ok.sum(), 3))
        ln[np.arange(ok.sum()), axis[ok]] = -np.sign(ld[ok, axis[ok]])
        nrm[ok] = ln @ rot.T
    pts = np.where(np.isfinite(tbest)[:, None], o + np.where(np.isfinite(tbest), tbest, 0)[:, None] * d, np.nan)
    depth = np.where(np.isfinite(tbest), tbest, 0.0)  # dc has z = 1: the ray parameter is the depth
    return CameraFrame(camera.channel, t, ego, sem.reshape(h, w), depth.reshape(h, w).astype(np.float32),
                       inst.reshape(h, w), nrm.reshape(h, w, 3).astype(np.float32),
                       pts.reshape(h, w, 3).astype(np.float32))


def world_boxes(world, t: float):
    """Agents at t plus buildings (bounding boxes of footprints) and static props as oriented boxes."""
    from anyscene.world.static import STATIC_PROPS

    st = world.states(t)
    boxes = [(st.center[i], st.size[i], st.yaw[i], int(st.occ3d[i]), int(st.instance[i]))
             for i in np.flatnonzero(st.present)]
    for b in world.layout.map.buildings:
        fp = np.asarray(b.footprint)
        lo, hi = fp.min(axis=0), fp.max(axis=0)
        boxes.append(((*(lo + hi) / 2, b.height / 2), (*(hi - lo), b.height), 0.0, OCC3D_ID["manmade"], 0))
    for p in world.layout.map.props:
        if p.cls in STATIC_PROPS:
            cls, size = STATIC_PROPS[p.cls]
            size = p.size or size
            boxes.append(((*p.xy, size[2] / 2), size, p.yaw, OCC3D_ID[cls], 0))
    return boxes


def world_frame(world, camera, t=0.0):
    ego = world.ego_pose(t)
    return cast(camera, ego, world_boxes(world, t), world.static.ground_at, t)


def look_camera(position, yaw_deg, pitch_deg, width=160, height=90, fov_deg=70.0) -> tuple[Camera, Pose]:
    """A camera at world `position` looking along `yaw_deg` (from +x, counter-clockwise), `pitch_deg` down;
    returned with an identity ego pose so camera = world placement."""
    from anyscene.sensors.geometry import matrix_to_quat

    y, p = np.radians(yaw_deg), np.radians(pitch_deg)
    fwd = np.array([np.cos(p) * np.cos(y), np.cos(p) * np.sin(y), -np.sin(p)])
    right = np.array([np.sin(y), -np.cos(y), 0.0])
    down = np.cross(fwd, right)
    q = matrix_to_quat(np.stack([right, down, fwd], axis=1))
    return make_camera(width, height, fov_deg, q, position), Pose()


def hand_frame(camera, ego, points, normals, cls=OCC3D_ID["others"], instance=0) -> CameraFrame:
    """A frame whose every pixel hits `points` (H, W, 3) with `normals` (H, W, 3), one class."""
    h, w = camera.height, camera.width
    cam2world = ego.matrix @ camera.cam2ego
    depth = (points - cam2world[:3, 3]) @ cam2world[:3, 2]
    return CameraFrame(camera.channel, 0.0, ego, np.full((h, w), cls, np.uint8), depth.astype(np.float32),
                       np.full((h, w), instance, np.uint16), normals.astype(np.float32), points.astype(np.float32))


def brightness(img: np.ndarray, mask: np.ndarray) -> float:
    return float(img[mask].astype(np.float64).mean())


@pytest.fixture(scope="module")
def world():
    from testdata import SMALL_LAYOUT

    from anyscene.layout import parse_layout
    from anyscene.world import World

    return World.compile(parse_layout(SMALL_LAYOUT, "small_cross.yaml")[0])


@pytest.fixture(scope="module")
def street(world):
    """The front view of the ego at t = 3 s with its world lookups, at 200×112."""
    camera = make_camera(200, 112, 70, t=(1.7, 0.0, 1.5))
    frame = world_frame(world, camera, 3.0)
    return dict(frame=frame, camera=camera, agents=world.states(3.0), markings=MarkingRaster.build(world),
                buildings=BuildingIndex.build(world))


def render_street(street, style, seed=0, **kw):
    return render_rgb(street["frame"], street["camera"], style, street["markings"], seed, agents=street["agents"],
                      buildings=street["buildings"], **kw)


def test_output_is_uint8_rgb_of_the_frame_size(street):
    img = render_street(street, load_style())
    assert img.dtype == np.uint8 and img.shape == (112, 200, 3) and img.flags.c_contiguous
    assert img.std() > 10  # not a flat fill


def test_same_inputs_give_identical_bytes_and_seed_changes_texture_only(street, world):
    from anyscene.render.noise import noise_bank

    style = load_style()
    a = render_street(street, style, seed=3)
    noise_bank.cache_clear()
    fresh = dict(street, markings=MarkingRaster.build(world))
    b = render_street(fresh, style, seed=3)
    assert a.tobytes() == b.tobytes()
    c = render_street(street, style, seed=4)
    assert a.tobytes() != c.tobytes()
    sem = street["frame"].semantic
    for name in ("driveable_surface", "sidewalk", "terrain", "free"):  # classes without per-instance palettes
        m = sem == OCC3D_ID.get(name, FREE)
        assert m.sum() > 300
        assert np.abs(a[m].mean(axis=0) - c[m].mean(axis=0)).max() < 12, name  # same look, new texture
        assert np.abs(a[m].astype(int) - c[m]).max() > 0, name


def test_noon_class_colours(world):
    camera, ego = look_camera((-12.0, -8.0, 1.6), 30.0, 8.0, 240, 135)
    boxes = world_boxes(world, 3.0) + [((4.0, -4.0, 2.0), (3.0, 3.0, 4.0), 0.0, OCC3D_ID["vegetation"], 0)]
    frame = cast(camera, ego, boxes, world.static.ground_at)
    img = render_rgb(frame, camera, load_style(overrides={"time_of_day": 12.0}), None, 0).astype(float)
    sem = frame.semantic
    road, veg, grass, sky = (sem == OCC3D_ID[k] for k in ("driveable_surface", "vegetation", "terrain", "free"))
    assert min(road.sum(), veg.sum(), grass.sum(), sky.sum()) > 100
    r = img[road].mean(axis=0)
    assert r.max() - r.min() < 20 and 50 < r.mean() < 200  # grey
    for m in (veg, grass):
        c = img[m].mean(axis=0)
        assert c[1] > c[0] + 5 and c[1] > c[2] + 15  # green-dominant
    s = img[sky].mean(axis=0)
    assert s[2] > s[0] + 25 and s[2] > s[1]  # blue-dominant


def _ground_xy(frame):
    p = frame.points.reshape(-1, 3)
    return p[:, 0], p[:, 1]


def test_lane_markings_and_crosswalk_stripes_are_bright(world):
    import shapely
    from shapely.ops import unary_union

    camera, ego = look_camera((8.0, -9.0, 7.0), 60.0, 45.0, 240, 135, fov_deg=80)
    frame = cast(camera, ego, (), world.static.ground_at)
    markings = MarkingRaster.build(world)
    img = render_rgb(frame, camera, load_style(overrides={"marking_wear": 0.0}), markings, 0)
    lum = img.astype(float).mean(axis=2).ravel()
    x, y = _ground_xy(frame)
    road = frame.semantic.ravel() == OCC3D_ID["driveable_surface"]
    lines = unary_union([m.polygon for m in world.roads.markings if m.kind != "crosswalk"])
    stripes = unary_union([m.polygon for m in world.roads.markings if m.kind == "crosswalk"])
    paint = unary_union([lines, stripes])
    crossing = unary_union(list(world.roads.crosswalks.values())).buffer(-0.3)

    def inside(geom):
        shapely.prepare(geom)
        return shapely.contains_xy(geom, x, y)

    on_line = road & inside(lines.buffer(-0.04))
    bare = road & ~inside(paint.buffer(0.4))
    on_stripe = road & inside(stripes.buffer(-0.08))
    gap = road & inside(crossing) & ~inside(stripes.buffer(0.12))
    assert min(on_line.sum(), bare.sum(), on_stripe.sum(), gap.sum()) > 20
    assert lum[on_line].mean() > lum[bare].mean() + 50
    assert lum[on_stripe].mean() > lum[gap].mean() + 50
    # Without the marking raster the same pixels are plain asphalt.
    plain = render_rgb(frame, camera, load_style(), None, 0).astype(float).mean(axis=2).ravel()
    assert abs(plain[on_stripe].mean() - plain[gap].mean()) < 15


def _walls(sun_facing: np.ndarray):
    """A camera looking north at a 10 m × 6 m patch of wall pixels 12 m away; normals east (towards a sun in
    the east) where `sun_facing` (H, W) is true, west elsewhere."""
    camera, ego = look_camera((0.0, 0.0, 2.0), 90.0, 0.0, 80, 45)
    h, w = camera.height, camera.width
    u, v = np.meshgrid(np.linspace(-5, 5, w), np.linspace(5, -1, h))
    pts = np.stack([u, np.full_like(u, 12.0), v], axis=-1)
    nrm = np.zeros((h, w, 3))
    nrm[..., 0] = np.where(sun_facing, 1.0, -1.0)
    return camera, ego, pts, nrm


EAST_SUN = {"time_of_day": None, "sun_azimuth": 90.0, "sun_elevation": 30.0}


def test_surface_facing_the_sun_is_brighter_and_shadow_mask_darkens():
    left = np.zeros((45, 80), bool)
    left[:, :40] = True
    camera, ego, pts, nrm = _walls(left)
    frame = hand_frame(camera, ego, pts, nrm)
    style = load_style(overrides=EAST_SUN)
    img = render_rgb(frame, camera, style, None, 0)
    assert brightness(img, left) > brightness(img, ~left) + 40
    camera, ego, pts, nrm = _walls(np.ones((45, 80), bool))
    frame = hand_frame(camera, ego, pts, nrm)
    shadow = (~left).astype(np.float32)
    img = render_rgb(frame, camera, style, None, 0, shadow=shadow)
    assert brightness(img, left) > brightness(img, ~left) + 40
    # The sun below the horizon lights nothing directly: both sides alike.
    night = render_rgb(frame, camera, load_style(overrides={**EAST_SUN, "sun_elevation": -20.0}), None, 0)
    assert abs(brightness(night, left) - brightness(night, ~left)) < 4


def test_haze_pulls_distant_surfaces_towards_the_haze_colour():
    camera, ego = look_camera((0.0, 0.0, 2.0), 0.0, 0.0, 60, 30)
    h, w = camera.height, camera.width
    far = np.zeros((h, w), bool)
    far[:, w // 2:] = True
    dist = np.where(far, 600.0, 15.0)
    u = np.linspace(-0.3, 0.3, w)[None, :] * dist
    pts = np.stack([dist, u, np.full((h, w), 1.0)], axis=-1)
    nrm = np.zeros((h, w, 3))
    nrm[..., 0] = -1.0  # facing the camera
    frame = hand_frame(camera, ego, pts, nrm)
    style = load_style(overrides={**EAST_SUN, "haze_density": 0.004})
    img = render_rgb(frame, camera, style, None, 0).astype(float)
    haze_rgb = encode(light_env(style).haze[:, None].copy(), style.exposure)[:, 0].astype(float)
    near_d = np.linalg.norm(img[~far].mean(axis=0) - haze_rgb)
    far_d = np.linalg.norm(img[far].mean(axis=0) - haze_rgb)
    assert far_d < 0.3 * near_d and far_d < 12
    clear = render_rgb(frame, camera, load_style(overrides={**EAST_SUN, "haze_density": 0.0}), None, 0).astype(float)
    assert np.abs(clear[far].mean(axis=0) - clear[~far].mean(axis=0)).max() < 8


def test_evening_is_darker_than_noon(street):
    noon = render_street(street, load_style(overrides={"time_of_day": 12.0}))
    evening = render_street(street, load_style(overrides={"time_of_day": 20.0}))
    assert evening.mean() < 0.5 * noon.mean()
    sky = street["frame"].semantic == FREE
    assert evening[sky].mean() < 0.4 * noon[sky].mean()


def test_vehicles_get_per_instance_paint_and_dark_windows():
    from anyscene.world.agents import AgentStates

    camera, ego = look_camera((0.0, -14.0, 1.5), 90.0, 0.0, 320, 60, fov_deg=100)
    n = 8
    xs = np.linspace(-16, 16, n)
    centers = np.stack([xs, np.zeros(n), np.full(n, 0.75)], axis=1)
    size = np.array([3.6, 1.8, 1.5])
    boxes = [(centers[i], size, 0.0, OCC3D_ID["car"], i + 1) for i in range(n)]
    frame = cast(camera, ego, boxes)
    states = AgentStates(0.0, np.arange(1, n + 1, dtype=np.int32), np.full(n, OCC3D_ID["car"], np.uint8),
                         centers, np.tile(size, (n, 1)), np.zeros(n), np.zeros((n, 2)), np.ones(n, bool))
    bright = [[235, 235, 235], [230, 200, 40], [120, 220, 120], [240, 160, 60], [150, 200, 240], [240, 150, 150]]
    style = load_style(overrides={**EAST_SUN, "palettes.paint": bright})
    img = render_rgb(frame, camera, style, None, 0, agents=states).astype(float)
    z = frame.points[..., 2]
    bodies = []
    side = frame.normal[..., 1] < -0.9  # the faces towards the camera, seen about head-on
    for i in range(1, n + 1):
        car = (frame.instance == i) & side
        body = car & (z > 0.75) & (z < 0.85)
        glass = car & (z > 1.0) & (z < 1.3)
        bodies.append(img[body].mean(axis=0))
        if i in (1, n):  # half out of view: mostly pillars
            continue
        assert body.sum() > 10 and glass.sum() > 20
        # Dark glass over bright paint (the band also holds the pillars: compare median luminance).
        lum = img @ np.array([0.2126, 0.7152, 0.0722])
        assert np.median(lum[glass]) < np.median(lum[body]) - 20
    distinct = {tuple(np.round(b / 12)) for b in bodies}
    assert len(distinct) >= 3
    again = render_rgb(frame, camera, style, None, 0, agents=states).astype(float)
    assert np.array_equal(img, again)


def test_marking_raster_with_a_tiny_tile_pool_matches_a_large_one(world):
    rng = np.random.default_rng(0)
    x = rng.uniform(-60, 60, 20000).astype(np.float32)
    y = rng.uniform(-12, 12, 20000).astype(np.float32)
    big = MarkingRaster.build(world, tile=64, max_tiles=1024)
    tiny = MarkingRaster.build(world, tile=64, max_tiles=3)
    ia, ca = big.lookup(x, y)
    ib, cb = tiny.lookup(x, y)
    assert ia.size > 100 and np.array_equal(ia, ib) and np.array_equal(ca, cb)
    assert tiny.cached_bytes <= 3 * 4 * 65 * 65
    white, yellow, curb = ca
    assert white.max() > 0.9 and yellow.max() > 0.9 and curb.max() > 0.9


def test_sun_shadow_mask_from_scene_casts():
    from anyscene.render.lighting import sun_shadow

    class BoxScene:
        """A scene of one 10 m tall box: rays (N, 6) hit it or nothing."""

        def snapshot(self, t):
            return self

        def cast(self, rays):
            o, d = rays[:, :3].astype(float), rays[:, 3:].astype(float)
            lo, hi = np.array([5.0, -2.0, 0.0]), np.array([7.0, 2.0, 10.0])
            with np.errstate(divide="ignore", invalid="ignore"):
                t1, t2 = (lo - o) / d, (hi - o) / d
            tn = np.nanmax(np.minimum(t1, t2), axis=1)
            tf = np.nanmin(np.maximum(t1, t2), axis=1)
            hit = (tn <= tf) & (tf > 0)

            class Hits:
                distance = np.where(hit, np.maximum(tn, 0), np.inf).astype(np.float32)
            return Hits

    camera, ego = look_camera((12.0, -16.0, 8.0), 90.0, 30.0, 120, 68)
    frame = cast(camera, ego, [((6.0, 0.0, 5.0), (2.0, 4.0, 10.0), 0.0, OCC3D_ID["manmade"], 0)])
    style = load_style(overrides={"time_of_day": None, "sun_azimuth": 270.0, "sun_elevation": 45.0})
    shadow = sun_shadow(frame, BoxScene(), style)
    x, y = _ground_xy(frame)
    ground = frame.semantic.ravel() == OCC3D_ID["driveable_surface"]
    behind = ground & (x > 7.3) & (x < 16.5) & (np.abs(y) < 1.5)  # the sun in the west: shadow to the east
    open_ = ground & ((x < 4.5) | (np.abs(y) > 2.5))
    assert behind.sum() > 20 and open_.sum() > 20
    assert shadow.ravel()[behind].mean() > 0.95 and shadow.ravel()[open_].max() == 0.0
    img = render_rgb(frame, camera, style, None, 0, shadow=shadow).astype(float).mean(axis=2).ravel()
    assert img[behind].mean() < 0.7 * img[open_].mean()


def test_long_lens_sky_is_evaluated_per_2x2_block_and_keeps_edges():
    from anyscene.render.shading import SKY_BLOCK_FX
    from anyscene.render.sky import pixel_rays

    camera, ego = look_camera((0.0, 0.0, 1.5), 0.0, -8.0, 120, 68, fov_deg=6.5)  # looking up, long lens
    assert camera.intrinsic[0, 0] >= SKY_BLOCK_FX
    frame = cast(camera, ego, [((60.0, 1.0, 6.0), (2.0, 2.0, 12.0), 0.0, OCC3D_ID["others"], 0)])
    style = load_style(overrides={"cloud_cover": 0.5, "materials.others.color": [200, 120, 60]})
    img = render_rgb(frame, camera, style, None, 0).astype(int)
    sky = frame.semantic == FREE
    assert 0.2 < sky.mean() < 0.98
    blocks = sky.reshape(34, 2, 60, 2).all(axis=(1, 3))
    quad = img.reshape(34, 2, 60, 2, 3).transpose(0, 2, 1, 3, 4)[blocks]  # (blocks, 2, 2, 3)
    assert len(quad) > 100 and np.all(quad == quad[:, :1, :1])  # one colour per all-sky block
    r, b = img[..., 0], img[..., 2]
    assert np.all(r[~sky] > b[~sky] + 20) and np.all(b[sky] > r[sky])  # no sky colour on the orange wall
    # A block's ray passes through the centre of its four pixels.
    cam2world = ego.matrix @ camera.cam2ego
    one = pixel_rays(np.array([4, 4, 5, 5]), np.array([6, 7, 6, 7]), camera.intrinsic, cam2world)
    blk = pixel_rays(np.array([2]), np.array([3]), camera.intrinsic, cam2world, block=2)
    mean = one.mean(axis=1)
    assert np.allclose(blk[:, 0], mean / np.linalg.norm(mean), atol=1e-6)


def test_night_lights_windows_and_lamps():
    camera, ego = look_camera((0.0, -20.0, 5.0), 90.0, -10.0, 160, 90)
    frame = cast(camera, ego, [((0.0, 0.0, 5.0), (30.0, 10.0, 10.0), 0.0, OCC3D_ID["manmade"], 0)])
    wall = frame.semantic == OCC3D_ID["manmade"]
    night = render_rgb(frame, camera, load_style(overrides={"time_of_day": 23.0}), None, 0).astype(float)
    lum = night.mean(axis=2)
    # Lit windows stand out of a dark wall; the night sky is dark.
    assert np.percentile(lum[wall], 97) > 3 * np.median(lum[wall]) and np.median(lum[wall]) < 60
    sky = frame.semantic == FREE
    assert sky.sum() > 100 and lum[sky].mean() < 40


def test_image_does_not_depend_on_threads_or_chunking(street, monkeypatch):
    import anyscene.render.shading as shading

    style = load_style(overrides={"time_of_day": 21.0})  # night: lit windows and lamps too
    one = render_street(street, style, threads=1)
    monkeypatch.setattr(shading, "CHUNK", 1500)  # many chunks, split inside classes and 2×2 sky blocks
    many = render_street(street, style, threads=3)
    assert one.tobytes() == many.tobytes()
