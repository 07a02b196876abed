"""Apply the config's `probes:` section (already validated by probes.spec)."""

from django.utils import timezone

from probes.models import Probe, RegionState
from statuspage.models import Component


def apply_probes(specs: list[dict], *, prune: bool, changes: list[str]) -> None:
    components = {c.key: c for c in Component.objects.all()}
    for spec in specs:
        probe = Probe.objects.filter(key=spec["key"]).first()
        component = components[spec["component"]]
        if probe is None:
            probe = Probe.objects.create(key=spec["key"], component=component, definition=spec)
            changes.append(f"probe {spec['key']}: created")
        elif probe.definition != spec or probe.component_id != component.pk:
            probe.definition, probe.component = spec, component
            probe.save()
            changes.append(f"probe {spec['key']}: updated")
        _sync_regions(probe, spec["regions"])
    if prune:
        for probe in Probe.objects.exclude(key__in=[s["key"] for s in specs]):
            changes.append(f"probe {probe.key}: deleted")
            probe.delete()


def _sync_regions(probe: Probe, regions: list[str]) -> None:
    probe.regions.exclude(region__in=regions).delete()
    existing = set(probe.regions.values_list("region", flat=True))
    RegionState.objects.bulk_create(
        RegionState(probe=probe, region=r, next_run_at=timezone.now()) for r in regions if r not in existing
    )
