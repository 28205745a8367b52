"""Batch generation at scale.

Procedural scenes (`anyscene sample`): `sampler.sample_layout(config, index)` draws one strictly valid layout
from a road template with plausible, collision-free traffic; `sampler.sample_to_dir(config, n, out)` writes
many. The config is `sampler_config.SamplerConfig` (configs/sampler/*.yaml).

Many scenes into one dataset (`anyscene batch`): `runner.run_batch(config, out)` runs `jobs.scene_job` once per
scene on local processes or Ray (`executors`), records progress in a resumable manifest (`manifest`) and
merges the finished scenes into one nuScenes dataset. The config is `config.BatchConfig`
(configs/batch/*.yaml).
"""
