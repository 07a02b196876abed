"""The status page app: what it connects once Django has loaded every model."""

from django.apps import AppConfig


class StatuspageConfig(AppConfig):
    name = "statuspage"
    verbose_name = "Status page"

    def ready(self) -> None:
        # Imported here, not at the top: this module is loaded before the models exist.
        from django.conf import settings
        from django.db.models.signals import post_save

        from statuspage import login_throttle, oncall, roles
        from statuspage.config.notices import attach_prepared
        from statuspage.env import check_probe_env_allow
        from statuspage.models import Incident
        from statuspage.services.changes import watch_public_models

        check_probe_env_allow(settings.PROBE_ENV_ALLOW)
        watch_public_models()
        login_throttle.connect()
        oncall.connect()
        roles.connect()
        post_save.connect(attach_prepared, sender=Incident, dispatch_uid="notices-sent-in-error-attach")
