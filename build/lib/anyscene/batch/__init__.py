"""Many scenes into one dataset (`anyscene batch`).

`runner.run_batch(config, out)` runs `jobs.scene_job` once per scene on local processes or Ray (`executors`),
records progress in a resumable manifest (`manifest`) and merges the finished scenes into one nuScenes
dataset. The config is `config.BatchConfig` (configs/batch/*.yaml). Scenes come from layout files or from the
procedural generator (`anyscene.procgen`).
"""
