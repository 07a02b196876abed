from django.conf import settings
from django.db import models


class AuditLog(models.Model):
    """Who changed what, when and through which door (admin, API, config, automation)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=150, blank=True)
    via = models.CharField(max_length=20)  # admin | api | config | probe | system
    action = models.CharField(max_length=50)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64)
    summary = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return (f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or self.via} {self.action} "
                f"{self.object_type} {self.object_id}")

    @classmethod
    def record(cls, *, actor=None, via: str, action: str, obj, summary: str = "", changes=None) -> "AuditLog":
        name = getattr(actor, "username", "") if actor is not None and actor.is_authenticated else ""
        return cls.objects.create(
            actor=actor if name else None, actor_name=name or via, via=via, action=action,
            object_type=obj._meta.model_name, object_id=str(obj.pk), summary=summary[:2000],
            changes=changes or {},
        )
