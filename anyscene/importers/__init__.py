"""Importers: one adapter per external dataset, each turning a recorded scene into a `Layout` (plus what else
the dataset knows, such as the sensor rig). Each dataset's devkit is imported lazily inside its adapter, so
it stays an optional dependency.

    from anyscene.importers.nuscenes import import_nuscenes
    scene = import_nuscenes("/data/nuscenes", "v1.0-mini", "scene-0916")
    save_layout(scene.layout, "scene-0916.yaml")
"""
