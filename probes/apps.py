from django.apps import AppConfig


class ProbesConfig(AppConfig):
    name = "probes"
    verbose_name = "Probes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Not a cycle: Django imports apps.py before any model exists; these modules need models.
        from probes.automation import draft_published
        from statuspage.services import incidents

        # A probe's draft published by a person: a probe still down behind it sets its
        # component's status now.
        incidents.draft_published.connect(draft_published, dispatch_uid="probes-draft-published")
