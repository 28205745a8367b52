"""The editor's HTTP routes, one router per concern, over one `EditorState` (`context.py`):

- `pages`: the page itself (the static files are mounted by `server.create_app`);
- `reading`: what the page draws (session, scene, issues, text, map, states, occupancy, camera previews, files);
- `changing`: edits, the text, undo/redo, save, open, new;
- `generate`: background `anyscene generate` runs and their preview videos.
"""
