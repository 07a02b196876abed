from django.urls import path

from statuspage.api import notices, views, webhooks

urlpatterns = [
    path("incidents/", views.incidents, name="api-incidents"),
    path("incidents/<str:incident_id>/", views.incident, name="api-incident"),
    path("incidents/<str:incident_id>/updates/", views.incident_updates, name="api-incident-updates"),
    path("incidents/<str:incident_id>/updates/<str:update_id>/", views.incident_update, name="api-incident-update"),
    path("incidents/<str:incident_id>/notices-sent-in-error/", notices.incident_notices,
         name="api-incident-notices"),
    path("components/", views.components, name="api-components"),
    path("components/<slug:key>/", views.component, name="api-component"),
    path("config/", views.config, name="api-config"),
    path("webhooks/", webhooks.webhooks, name="api-webhooks"),
    path("webhooks/<str:webhook_id>/", webhooks.webhook, name="api-webhook"),
    path("webhooks/<str:webhook_id>/deliveries/", webhooks.webhook_deliveries, name="api-webhook-deliveries"),
    path("webhooks/<str:webhook_id>/test/", webhooks.webhook_test, name="api-webhook-test"),
]
