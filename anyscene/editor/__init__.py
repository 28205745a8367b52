"""`anyscene edit`: a bird's-eye-view layout editor served to the browser.

The server (`server.create_app`) holds one editing `Session` over an opened layout file or folder
(`workspace.Workspace`). Edits arrive as small JSON operations, are applied to the YAML round-trip document
(`document.Document`, which keeps comments and the formatting of untouched lines), and every edit re-runs the
validator (`anyscene.validation.validate`) and recompiles the world, whose exact agent states the canvas draws at each time.
The front-end is plain ES modules under `static/`.
"""
