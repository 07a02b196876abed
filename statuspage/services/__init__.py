"""Every write and its side effects: `do_*` actions (docs/architecture.md).

An action changes the rows, writes the audit row and the outbox event, and bumps the
public version once, in one transaction (services.changes). Views, the API, the admin,
commands, tasks and probes call actions; models never do.
"""
