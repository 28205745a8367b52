"""AnyScene: BEV layouts in YAML to exactly labelled driving datasets."""
__version__ = "0.1.0"
