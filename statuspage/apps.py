from django.apps import AppConfig


class StatuspageConfig(AppConfig):
    name = "statuspage"
    verbose_name = "Status page"

    def ready(self) -> None:
        from django.conf import settings

        from statuspage import login_throttle, oncall, signals
        from statuspage.env import check_probe_env_allow

        check_probe_env_allow(settings.PROBE_ENV_ALLOW)
        signals.connect()
        login_throttle.connect()
        oncall.connect()
