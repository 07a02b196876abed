"""The bundled demo target: a small stand-in for Reserve+ and OneID.

Run it with `python -m demo_target`; switch its behaviour with `manage.py drill MODE`.
"""
