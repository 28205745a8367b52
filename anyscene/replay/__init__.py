"""The replay comparison: a real nuScenes recording against its AnyScene replay (the imported scene generated
again), keyframe by keyframe, box by box, sweep by sweep.

    from anyscene.replay import compare_datasets
    report = compare_datasets("/data/nuscenes", "out/replay")   # a dict, also written as JSON by the CLI
"""
from .compare import compare_datasets, write_report

__all__ = ["compare_datasets", "write_report"]
