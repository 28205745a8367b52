"""Condition maps and camera features."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.render.diffusion.conditions import (BOUNDARY_CHANNEL, CAMERA_FEATURES, CONDITION_CHANNELS,
                                                  DEPTH_CHANNEL, camera_features, encode_camera_frame,
                                                  encode_conditions, instance_boundaries, resize_nearest,
                                                  rig_neighbors)
from anyscene.sensors.types import CameraFrame

from diffusion_helpers import nuscenes_cameras


def test_encode_conditions_channels():
    sem = np.array([[0, 4, 17], [11, 11, 30]], dtype=np.uint8)  # 30: not an Occ3D id -> free
    depth = np.array([[0.5, 2.0, 0.0], [10.0, np.inf, 4.0]], dtype=np.float32)
    inst = np.array([[0, 3, 3], [0, 0, 0]], dtype=np.uint16)
    c = encode_conditions(sem, depth, inst).numpy()
    assert c.shape == (CONDITION_CHANNELS, 2, 3) and c.dtype == np.float32
    onehot = c[:18]
    assert np.array_equal(onehot.sum(0), np.ones((2, 3)))
    assert onehot[4, 0, 1] == 1 and onehot[17, 0, 2] == 1 and onehot[17, 1, 2] == 1 and onehot[11, 1, 0] == 1
    np.testing.assert_allclose(c[DEPTH_CHANNEL], [[1.0, 0.5, 0.0], [0.1, 0.0, 0.25]])
    # boundary: the pixels of instance 3 and their 4-neighbours of another id
    np.testing.assert_array_equal(c[BOUNDARY_CHANNEL], [[1, 1, 1], [0, 1, 1]])


def test_instance_boundaries_uniform_is_zero():
    assert not instance_boundaries(np.full((4, 5), 7)).any()


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="one shape"):
        encode_conditions(np.zeros((2, 2), np.uint8), np.zeros((2, 3)), np.zeros((2, 2), np.uint16))


def test_encode_camera_frame_resizes_nearest():
    h, w = 8, 16
    sem = np.full((h, w), 11, np.uint8)
    sem[:, w // 2:] = 4
    frame = CameraFrame("CAM_FRONT", 0.0, None, sem, np.full((h, w), 2.0, np.float32), np.zeros((h, w), np.uint16),
                        np.zeros((h, w, 3), np.float32), np.zeros((h, w, 3), np.float32))
    c = encode_camera_frame(frame, 4, 8)
    assert c.shape == (CONDITION_CHANNELS, 4, 8)
    assert c[11, :, :4].all() and c[4, :, 4:].all()
    assert np.array_equal(resize_nearest(sem, 4, 8)[:, 3:5], [[11, 4]] * 4)


def test_rig_neighbors_follow_azimuth():
    cams = nuscenes_cameras()
    nb = rig_neighbors(cams)
    name = [c.channel for c in cams]
    left = {name[i]: name[nb[i, 0]] for i in range(6)}
    right = {name[i]: name[nb[i, 1]] for i in range(6)}
    assert left["CAM_FRONT"] == "CAM_FRONT_LEFT" and right["CAM_FRONT"] == "CAM_FRONT_RIGHT"
    assert left["CAM_BACK"] == "CAM_BACK_RIGHT" and right["CAM_BACK"] == "CAM_BACK_LEFT"
    # the same neighbours whatever order the rig lists its cameras in
    perm = [4, 2, 0, 5, 1, 3]
    nb2 = rig_neighbors([cams[i] for i in perm])
    assert {name[perm[i]]: name[perm[nb2[i, 0]]] for i in range(6)} == left


def test_camera_features_are_resolution_independent():
    a = nuscenes_cameras(64, 32)[1]
    b = a.scaled(1600, 800)
    fa, fb = camera_features(a), camera_features(b)
    assert fa.shape == (CAMERA_FEATURES,)
    np.testing.assert_allclose(fa, fb, rtol=1e-6)
