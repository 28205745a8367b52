"""Training the diffusion renderer: clips of any nuScenes-format dataroot with their condition maps (made by the
scene pipeline's SensorSuite), and the training loop. It sits above the pipeline, beside the export."""
