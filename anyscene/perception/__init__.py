"""A reference BEV LiDAR 3D detector in pure PyTorch, trained and scored on any nuScenes-format dataroot.

It exists to measure whether AnyScene data trains perception (docs/perception.md): voxelise a (multi-sweep)
point cloud into a bird's-eye-view tensor (`grid`), run a small 2D CNN with a CenterPoint-style head
(`model`), train it on keyframes read through the nuScenes devkit (`data`, `train`), and score it with the
devkit's own detection evaluation (`evaluate`). `sim2real` runs the real/synthetic benchmark.
"""
