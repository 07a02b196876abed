"""What readers get: the state, the v2 shapes, rendering, snapshots, the static export.

Layers inside, from the bottom: version (key, bump, read) and registry (every public URL);
state, v2, uptime; entries, keys, synthetic, export, store; render; door and render_tasks.
Nothing here writes (no services), so a reader can never change what it reads.
"""
