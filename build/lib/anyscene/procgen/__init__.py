"""Procedural scenes (`anyscene sample`).

`sampler.sample_layout(config, index)` draws one strictly valid layout from a road template (`templates`,
`network`) with plausible, collision-free traffic (`planner`, `vehicles`, `pedestrians`, `paths`,
`spacetime`) and scenery (`scenery`); `sampler.sample_to_dir(config, n, out)` writes many. The config is
`config.SamplerConfig` (configs/sampler/*.yaml). Batch running (`anyscene.batch`) sits on top of it.
"""
