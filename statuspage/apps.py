from django.apps import AppConfig


class StatuspageConfig(AppConfig):
    name = "statuspage"
    verbose_name = "Status page"

    def ready(self) -> None:
        from statuspage import login_throttle, signals

        signals.connect()
        login_throttle.connect()
