"""The GL camera path: camera maps by OpenGL rasterisation on a headless EGL context (see camera_maps)."""
from .camera_maps import GLCameraMaps, GLWorldCameras, create_context, shared_context

__all__ = ["GLCameraMaps", "GLWorldCameras", "create_context", "shared_context"]
