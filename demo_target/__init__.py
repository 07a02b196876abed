"""The bundled demo target: a small stand-in for Reserve+ and OneID.

Run it with `python -m demo_target`; switch its behaviour with `manage.py drill MODE`.
"""

# The worker variables the demo's probes read (examples/reserve-plus.yaml): what `make run`,
# the tests and the benches put in PROBE_ENV_ALLOW.
PROBE_ENV = "RESERVE_BASE_URL,ONEID_BASE_URL,CANARY_PHONE,CANARY_CODE,CANARY_PASSPORT"
# It listens on loopback, which probes reach only when PROBE_ALLOWED_NETWORKS allows it.
LOOPBACK = "127.0.0.0/8,::1/128"
