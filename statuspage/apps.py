from django.apps import AppConfig


class StatuspageConfig(AppConfig):
    name = "statuspage"
    verbose_name = "Status page"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from statuspage import login_throttle, signals
        from statuspage.config.notices import attach_prepared
        from statuspage.models import Incident

        signals.connect()
        login_throttle.connect()
        post_save.connect(attach_prepared, sender=Incident, dispatch_uid="notices-sent-in-error-attach")
